import { importJWK } from 'jose';
import { BrokerError } from './errors.js';
import { keyManagementAlgorithm } from './jwe.js';
import type { TeePublicKey } from './protocol.js';

// JWK members that only a private or symmetric key has (RFC 7518, sections 6.2.2, 6.3.2, 6.4).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * Checks the TD's ephemeral key before anything is bound to it, and returns it with its public
 * members only. A key with private members is rejected, because a TD that sends its private key
 * has leaked it and the broker must not copy it into a token. The key must also import with the
 * crypto library, so an EC point off the curve is rejected here instead of failing later, when
 * a key is encrypted to it.
 */
export async function checkTeePublicKey(jwk: TeePublicKey): Promise<TeePublicKey> {
  const present = PRIVATE_MEMBERS.filter((member) => member in jwk);
  if (present.length > 0) {
    throw new BrokerError(
      'MALFORMED_REQUEST',
      `runtime-data.tee-pubkey carries private key members (${present.join(', ')})`,
      { hint: 'send the public key only; the private key must never leave the TD' },
    );
  }

  const alg = keyManagementAlgorithm(jwk);
  const publicJwk: TeePublicKey =
    jwk.kty === 'EC'
      ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y, ...(jwk.alg ? { alg: jwk.alg } : {}) }
      : { kty: 'RSA', n: jwk.n, e: jwk.e, ...(jwk.alg ? { alg: jwk.alg } : {}) };
  let valid: boolean;
  try {
    const key = await importJWK({ ...publicJwk, alg }, alg);
    valid = !(key instanceof Uint8Array) && key.type === 'public';
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new BrokerError(
      'MALFORMED_REQUEST',
      jwk.kty === 'EC'
        ? 'runtime-data.tee-pubkey is not a valid P-256 public key: its point is not on the curve'
        : 'runtime-data.tee-pubkey is not a valid RSA public key',
      { hint: 'send the public half of the key pair that the TD generated' },
    );
  }
  return publicJwk;
}
