import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { BrokerError } from './errors.js';

/** Size of a TD report's REPORTDATA field. */
export const REPORT_DATA_SIZE = 64;

/** The runtime data that the TD binds into its quote. */
export interface RuntimeDataInput {
  readonly nonce: string;
  /** The ephemeral public key exactly as the client sent it (every JWK member is hashed). */
  readonly teePubkey: unknown;
  /** trustee's composite-evidence string for device evidence; empty when there is none. */
  readonly additionalEvidence?: string;
}

/**
 * Serialises runtime data as trustee's client and attestation service hash it: the JSON object
 * `{"additional-evidence", "nonce", "tee-pubkey"}` in RFC 8785 (JCS) canonical form.
 */
export function canonicalRuntimeData(input: RuntimeDataInput): string {
  const text = canonicalize({
    'tee-pubkey': input.teePubkey,
    nonce: input.nonce,
    'additional-evidence': input.additionalEvidence ?? '',
  });
  if (text === undefined) {
    throw new BrokerError('MALFORMED_REQUEST', 'runtime data cannot be serialised as JSON');
  }
  return text;
}

/**
 * Computes the REPORTDATA that binds a nonce and a public key to a quote: SHA-384 of the
 * canonical runtime data, zero-padded to 64 bytes, as trustee checks it for TDX.
 */
export function expectedReportData(input: RuntimeDataInput): Buffer {
  const digest = createHash('sha384').update(canonicalRuntimeData(input), 'utf8').digest();
  const reportData = Buffer.alloc(REPORT_DATA_SIZE);
  digest.copy(reportData);
  return reportData;
}
