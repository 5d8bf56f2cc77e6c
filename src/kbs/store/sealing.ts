import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BrokerError } from '../errors.js';
import { isErrno } from '../../util/fs.js';

/** Length of the broker's master key in bytes. */
export const MASTER_KEY_LENGTH = 32;

const GCM_IV_LENGTH = 12;
const GCM_TAG_LENGTH = 16;
const SEALING_INFO = 'mariadb-tdx kbs key store v1';
const CHECK_VALUE_INFO = 'mariadb-tdx kbs master key check v1';
const CHECK_VALUE_LENGTH = 16;

/** A database key encrypted under the master key, as stored on disk (all fields public). */
export interface SealedKey {
  readonly alg: 'A256GCM';
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

/** Generates a master key, hex-encoded for its file. */
export function generateMasterKey(): string {
  return `${randomBytes(MASTER_KEY_LENGTH).toString('hex')}\n`;
}

/** The keys derived from a master key file. */
export interface MasterKey {
  /** AES-256 key that seals every stored key version. */
  readonly sealingKey: Buffer;
  /**
   * Public check value of the master key, hex. It is derived with its own HKDF label, so it
   * reveals nothing about the sealing key, and it distinguishes two master keys.
   */
  readonly checkValue: string;
}

/**
 * Reads the master key file and derives the key-sealing key and the check value from it with
 * HKDF-SHA256, so the master key itself is never used directly as an AES key.
 */
export async function loadMasterKey(path: string): Promise<MasterKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new BrokerError('MASTER_KEY_INVALID', `master key ${path} does not exist`, {
        hint: 'restore it from your backup; without it no stored key can be decrypted',
        cause: error,
      });
    }
    throw error;
  }

  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new BrokerError(
      'MASTER_KEY_INVALID',
      `master key ${path} does not hold 64 hex digits (${MASTER_KEY_LENGTH} bytes)`,
      { hint: 'restore the file from your backup' },
    );
  }
  const master = Buffer.from(hex, 'hex');
  const derive = (info: string, length: number) =>
    Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, length));
  return {
    sealingKey: derive(SEALING_INFO, 32),
    checkValue: derive(CHECK_VALUE_INFO, CHECK_VALUE_LENGTH).toString('hex'),
  };
}

/** Reads the master key file and returns only the key-sealing key. */
export async function loadSealingKey(path: string): Promise<Buffer> {
  return (await loadMasterKey(path)).sealingKey;
}

/**
 * Encrypts a key with AES-256-GCM. `context` is authenticated, so a sealed key moved to another
 * key set, id or version, or given another check value, no longer decrypts.
 */
export function sealKey(sealingKey: Buffer, key: Buffer, context: string): SealedKey {
  const iv = randomBytes(GCM_IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', sealingKey, iv, { authTagLength: GCM_TAG_LENGTH });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
  return {
    alg: 'A256GCM',
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Decrypts a sealed key; fails with KEY_STORE_CORRUPT when it was altered or moved. */
export function unsealKey(sealingKey: Buffer, sealed: SealedKey, context: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey, Buffer.from(sealed.iv, 'base64'), {
      authTagLength: GCM_TAG_LENGTH,
    });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ]);
  } catch (error) {
    throw new BrokerError(
      'KEY_STORE_CORRUPT',
      `stored key ${context} does not decrypt under this master key`,
      {
        hint: 'the record or the master key was changed; restore both from the same backup',
        cause: error,
      },
    );
  }
}
