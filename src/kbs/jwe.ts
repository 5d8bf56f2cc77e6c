import {
  FlattenedEncrypt,
  exportJWK,
  flattenedDecrypt,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type FlattenedJWE,
} from 'jose';
import type { TeePublicKey } from './protocol.js';

/** Content encryption of every response: AES-256-GCM. */
export const CONTENT_ENCRYPTION = 'A256GCM';

/** Key management algorithm for a TEE key: ECDH-ES+A256KW for EC, RSA-OAEP-256 for RSA. */
export function keyManagementAlgorithm(key: TeePublicKey): 'ECDH-ES+A256KW' | 'RSA-OAEP-256' {
  return key.kty === 'EC' ? 'ECDH-ES+A256KW' : 'RSA-OAEP-256';
}

/** Encrypts a payload to the TD's ephemeral key as a flattened JWE (RFC 7516, section 7.2.2). */
export async function encryptToTee(teePubkey: TeePublicKey, payload: Uint8Array) {
  const alg = keyManagementAlgorithm(teePubkey);
  const key = await importJWK({ ...teePubkey, alg }, alg);
  return new FlattenedEncrypt(payload)
    .setProtectedHeader({ alg, enc: CONTENT_ENCRYPTION })
    .encrypt(key);
}

/** An ephemeral key pair made inside the TD; the private key never leaves the process. */
export interface TeeKeyPair {
  readonly publicJwk: TeePublicKey;
  readonly privateKey: CryptoKey;
}

/** Generates an EC P-256 key pair for ECDH-ES+A256KW. */
export async function generateTeeKeyPair(): Promise<TeeKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256' });
  const jwk = await exportJWK(publicKey);
  const publicJwk: TeePublicKey = {
    kty: 'EC',
    crv: 'P-256',
    alg: 'ECDH-ES+A256KW',
    x: jwk.x!,
    y: jwk.y!,
  };
  return { publicJwk, privateKey };
}

/** Decrypts a flattened JWE addressed to the TD's key pair. */
export async function decryptFromBroker(pair: TeeKeyPair, jwe: FlattenedJWE): Promise<Uint8Array> {
  const { plaintext } = await flattenedDecrypt(jwe, pair.privateKey, {
    keyManagementAlgorithms: ['ECDH-ES+A256KW'],
    contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
  });
  return plaintext;
}
