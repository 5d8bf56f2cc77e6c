import { decodeJwt } from 'jose';
import type { EvidenceProvider } from '../../attest/evidence/types.js';
import { computeKeyCheckValue, REQUIRED_KEY_IDS } from '../../mariadb/keys.js';
import { AgentError } from '../errors.js';
import { decryptFromBroker, generateTeeKeyPair, type TeeKeyPair } from '../jwe.js';
import { KEY_RESOURCE_TYPE, KeyResourceSchema } from '../protocol.js';
import { expectedReportData } from '../runtime-data.js';
import { KbsClient, type KbsConnection } from './client.js';

/** One key version as the broker released it. */
export interface ReleasedVersion {
  readonly version: number;
  readonly key: Buffer;
  readonly kcv: string;
}

/** Keys released to this TD, by key id, each with every version oldest first. */
export type ReleasedKeys = Map<number, readonly ReleasedVersion[]>;

/** Options of {@link obtainKeys}. */
export interface ObtainKeysOptions {
  readonly connection: KbsConnection;
  readonly keyset: string;
  /** Key ids to fetch; default 1 and 2. */
  readonly keyIds?: readonly number[] | undefined;
  readonly evidence: EvidenceProvider;
  readonly onStep?: ((step: string) => void) | undefined;
}

/** Result of {@link obtainKeys}: the keys and the public facts the broker attested. */
export interface ObtainKeysResult {
  readonly keyset: string;
  readonly keys: ReleasedKeys;
  readonly evidence: EvidenceProvider['kind'];
  /** Public claims from the attestation token (measurements, TCB status). */
  readonly claims: Record<string, unknown>;
}

/**
 * Attests to the broker and fetches keys: a fresh ephemeral key pair, a nonce from `auth`,
 * a quote whose REPORTDATA binds both, then every requested key id as a JWE that only this
 * process's private key can open. The keys stay in memory.
 */
export async function obtainKeys(options: ObtainKeysOptions): Promise<ObtainKeysResult> {
  const step = options.onStep ?? (() => undefined);
  const client = new KbsClient(options.connection);
  const pair = await generateTeeKeyPair();

  step(`opening a session with ${options.connection.url}`);
  const challenge = await client.auth();
  const reportData = expectedReportData({ nonce: challenge.nonce, teePubkey: pair.publicJwk });

  step(`getting a quote: ${options.evidence.description}`);
  const quote = await options.evidence.quote(reportData);

  step('sending the quote for appraisal');
  const token = await client.attest({
    'runtime-data': { nonce: challenge.nonce, 'tee-pubkey': pair.publicJwk },
    'tee-evidence': {
      primary_evidence: { quote: quote.toString('base64'), cc_eventlog: null },
      additional_evidence: '',
    },
  });

  const keys: ReleasedKeys = new Map();
  for (const id of options.keyIds ?? REQUIRED_KEY_IDS) {
    step(`fetching key ${options.keyset}/${id}`);
    keys.set(id, await fetchKey(client, pair, options.keyset, id));
  }
  return {
    keyset: options.keyset,
    keys,
    evidence: options.evidence.kind,
    claims: tokenClaims(token),
  };
}

async function fetchKey(
  client: KbsClient,
  pair: TeeKeyPair,
  keyset: string,
  id: number,
): Promise<ReleasedVersion[]> {
  const jwe = await client.resource(`${keyset}/${KEY_RESOURCE_TYPE}/${id}`);
  let plaintext: Uint8Array;
  try {
    plaintext = await decryptFromBroker(pair, jwe);
  } catch (error) {
    throw new AgentError('KBS_RESPONSE_INVALID', `key ${keyset}/${id} did not decrypt`, {
      hint: 'the reply was not encrypted to this session key; check the --kbs address',
      cause: error,
    });
  }

  const parsed = KeyResourceSchema.safeParse(parseJson(plaintext));
  if (!parsed.success || parsed.data.keyset !== keyset || parsed.data.id !== id) {
    throw new AgentError('KBS_RESPONSE_INVALID', `key ${keyset}/${id} is not a valid key resource`);
  }

  return parsed.data.versions.map((entry) => {
    const key = Buffer.from(entry.key, 'hex');
    if (computeKeyCheckValue(key) !== entry.kcv) {
      throw new AgentError(
        'KEY_CHECK_MISMATCH',
        `key ${keyset}/${id} version ${entry.version} does not match the check value sent with it`,
      );
    }
    return { version: entry.version, key, kcv: entry.kcv };
  });
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}

// The token is the broker's statement; the agent shows its claims but need not verify it.
function tokenClaims(token: string): Record<string, unknown> {
  try {
    const payload = decodeJwt(token);
    return (payload.tdx ?? {}) as Record<string, unknown>;
  } catch {
    return {};
  }
}
