import { QuoteFormatError } from '../errors.js';
import type { PckCertificateChain } from './types.js';

const BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/= \t\r\n]*?)-----END CERTIFICATE-----/y;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_CERTIFICATES = 8;

/**
 * Splits the PEM text of certification data type 5 into DER certificates. Only NUL bytes may
 * follow the last block: Intel's QE appends one NUL and counts it in the size.
 */
export function parsePckCertificateChain(data: Uint8Array, offset: number): PckCertificateChain {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end -= 1;

  const pem = Buffer.from(data.subarray(0, end)).toString('latin1');
  const result = splitPemCertificates(pem);
  if (typeof result === 'string') {
    throw new QuoteFormatError('PCK_CHAIN_INVALID', `the PCK certificate chain ${result}`, {
      field: 'signatureData.pckCertificateChain',
      offset,
    });
  }
  return { pem, certificates: result };
}

/**
 * Splits PEM text into DER certificates, or returns why it cannot. Only whitespace may separate
 * the blocks, so no unverified text can hide between certificates.
 */
export function splitPemCertificates(pem: string): Uint8Array[] | string {
  const certificates: Uint8Array[] = [];
  let position = skipSpace(pem, 0);
  while (position < pem.length) {
    BLOCK.lastIndex = position;
    const match = BLOCK.exec(pem);
    if (!match) return `has text outside a certificate block at character ${position}`;

    const base64 = match[1]!.replace(/[ \t\r\n]+/g, '');
    if (!BASE64.test(base64) || base64.length % 4 !== 0) {
      return `has invalid base64 in certificate ${certificates.length + 1}`;
    }
    certificates.push(new Uint8Array(Buffer.from(base64, 'base64')));
    if (certificates.length > MAX_CERTIFICATES) {
      return `holds more than ${MAX_CERTIFICATES} certificates`;
    }
    position = skipSpace(pem, BLOCK.lastIndex);
  }
  return certificates.length === 0 ? 'holds no PEM certificate' : certificates;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i += 1;
  return i;
}
