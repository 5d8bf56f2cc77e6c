// Messages of the key broker protocol. They follow the Confidential Containers KBS protocol
// ("RCAR": request, challenge, attestation, response) as trustee 0.4 and its guest client speak
// it, so a trustee client can fetch keys from this broker and the agent can talk to trustee.
import { z } from 'zod';

/** Path prefix of every protocol route. */
export const KBS_PREFIX = '/kbs/v0';

/** Protocol version that the agent sends and the broker accepts (any 0.4 patch release). */
export const KBS_PROTOCOL_VERSION = '0.4.0';
export const SUPPORTED_PROTOCOL = /^0\.4\.\d+$/;

/** Name of the session cookie, as trustee sets it. */
export const SESSION_COOKIE = 'kbs-session-id';

/** TEE name of Intel TDX in the protocol. */
export const TEE_TDX = 'tdx';

/** The one runtime-data hash for TDX: SHA-384, so the digest fits the 64-byte REPORTDATA. */
export const RUNTIME_DATA_HASH = 'sha384';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');
const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected base64url without padding');

/** Body of `POST /kbs/v0/auth`. */
export const AuthRequestSchema = z.object({
  version: z.string().max(32),
  tee: z.string().max(32),
  // trustee clients send an object listing the hash algorithms they support; older ones "".
  'extra-params': z.union([z.string().max(1024), z.record(z.string(), z.unknown())]).optional(),
});
export type AuthRequest = z.infer<typeof AuthRequestSchema>;

/** Body of the reply to `auth`. */
export interface Challenge {
  readonly nonce: string;
  readonly 'extra-params': string;
}

/** The TD's ephemeral public key: EC P-256 for ECDH-ES+A256KW, or RSA for RSA-OAEP-256. */
export const TeePublicKeySchema = z.union([
  z.looseObject({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    alg: z.literal('ECDH-ES+A256KW').optional(),
    x: base64url.length(43),
    y: base64url.length(43),
  }),
  z.looseObject({
    kty: z.literal('RSA'),
    alg: z.literal('RSA-OAEP-256').optional(),
    // 2048 to 8192 bits: 342 to 1366 base64url characters.
    n: base64url.min(342).max(1366),
    e: base64url.max(8),
  }),
]);
export type TeePublicKey = z.infer<typeof TeePublicKeySchema>;

/** TDX evidence as trustee's verifier reads it: the quote and optionally the CCEL, in base64. */
export const TdxEvidenceSchema = z.object({
  quote: base64.min(1),
  cc_eventlog: base64.nullish(),
});

/** Body of `POST /kbs/v0/attest`. */
export const AttestationSchema = z.object({
  'init-data': z.object({ format: z.string().max(32), body: z.string() }).nullish(),
  'runtime-data': z.object({
    nonce: z.string().max(128),
    'tee-pubkey': TeePublicKeySchema,
  }),
  'tee-evidence': z.object({
    primary_evidence: TdxEvidenceSchema,
    additional_evidence: z.string().optional(),
  }),
});
export type Attestation = z.infer<typeof AttestationSchema>;

/** Body of the reply to `attest`. */
export interface AttestationResult {
  readonly token: string;
}

/**
 * A resource path `<repository>/<type>/<tag>`. The broker serves database keys as
 * `<key set>/key/<key id>`; each segment is a plain name so it can never leave the key store.
 */
export const RESOURCE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The resource type under which a key set's keys are served. */
export const KEY_RESOURCE_TYPE = 'key';

/** Plaintext of a key resource, inside the JWE: every version of one key id. */
export interface KeyResource {
  readonly keyset: string;
  readonly id: number;
  readonly versions: readonly KeyResourceVersion[];
}

export interface KeyResourceVersion {
  readonly version: number;
  /** The AES key in hex. */
  readonly key: string;
  /** Key check value of the key (see mariadb/keys.ts). */
  readonly kcv: string;
  readonly createdAt: string;
}

export const KeyResourceSchema = z.object({
  keyset: z.string().regex(RESOURCE_SEGMENT),
  id: z.number().int().min(1).max(0xffffffff),
  versions: z
    .array(
      z.object({
        version: z.number().int().min(1),
        key: z.string().regex(/^(?:[0-9a-f]{32}|[0-9a-f]{48}|[0-9a-f]{64})$/),
        kcv: z.string().regex(/^[0-9a-f]{16}$/),
        createdAt: z.string(),
      }),
    )
    .min(1),
});

/** An RFC 7807 problem document; trustee clients read `type` and `detail`. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** Stable reason code (BrokerErrorCode, or the verifier's or policy's code). */
  readonly code: string;
}

/** Prefix of the problem `type` URIs; the code follows it. */
export const PROBLEM_TYPE_PREFIX = 'urn:mariadb-tdx:kbs:';
