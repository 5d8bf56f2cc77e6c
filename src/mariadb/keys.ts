import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { KeyError } from '../errors.js';

/** Key ids that the hardened profile needs: 1 for tables and logs, 2 for temporary data. */
export const REQUIRED_KEY_IDS = [1, 2] as const;

/** AES-256 key length in bytes. */
export const KEY_LENGTH = 32;

/** Keys by key id, as `file_key_management` reads them. */
export type KeyRing = Map<number, Buffer>;

/** Generates one random 256-bit key for each id. */
export function generateKeyRing(ids: readonly number[] = REQUIRED_KEY_IDS): KeyRing {
  return new Map(ids.map((id) => [id, randomBytes(KEY_LENGTH)]));
}

/** Formats keys in the `file_key_management` key file syntax: one `<id>;<hex>` per line. */
export function formatKeyFile(keys: KeyRing): string {
  const ids = [...keys.keys()].sort((a, b) => a - b);
  return ids.map((id) => `${id};${keys.get(id)!.toString('hex')}\n`).join('');
}

const KEY_LINE = /^(\d+);([0-9a-fA-F]+)$/;

/**
 * Parses a `file_key_management` key file. Lines starting with `#` and blank lines are skipped.
 * Errors name the line number but never the key bytes.
 */
export function parseKeyFile(text: string, source: string): KeyRing {
  const keys: KeyRing = new Map();
  const lines = text.split(/\r?\n/);

  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;

    const match = KEY_LINE.exec(line);
    const hex = match?.[2] ?? '';
    const validLength = hex.length === 32 || hex.length === 48 || hex.length === 64;
    if (!match || !validLength) {
      throw new KeyError(
        'KEY_FILE_INVALID',
        `key file ${source}, line ${index + 1}: expected "<id>;<32, 48 or 64 hex digits>"`,
        { hint: 'restore the key file from your backup; a key cannot be recreated' },
      );
    }

    const id = Number(match[1]);
    if (keys.has(id)) {
      throw new KeyError('KEY_FILE_INVALID', `key file ${source}: key id ${id} appears twice`, {
        hint: 'restore the key file from your backup',
      });
    }
    keys.set(id, Buffer.from(hex, 'hex'));
  }

  return keys;
}

// OpenSSL `enc` output starts with this magic, then an 8-byte salt, then the ciphertext.
const OPENSSL_SALT_MAGIC = Buffer.from('Salted__', 'latin1');
const OPENSSL_SALT_LENGTH = 8;
const AES_256_KEY_LENGTH = 32;
const AES_BLOCK_LENGTH = 16;

/**
 * Derives the AES-256-CBC key and IV as OpenSSL's EVP_BytesToKey does with SHA-1 and one
 * iteration. MariaDB 10.11's file_key_management decrypts key files only in this form
 * (`openssl enc -aes-256-cbc -md sha1`); OpenSSL 3's default of SHA-256 with PBKDF2 fails.
 */
function deriveOpensslKeyAndIv(passphrase: Buffer, salt: Buffer) {
  const needed = AES_256_KEY_LENGTH + AES_BLOCK_LENGTH;
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  let length = 0;

  while (length < needed) {
    previous = createHash('sha1').update(previous).update(passphrase).update(salt).digest();
    blocks.push(previous);
    length += previous.length;
  }

  const material = Buffer.concat(blocks);
  return {
    key: material.subarray(0, AES_256_KEY_LENGTH),
    iv: material.subarray(AES_256_KEY_LENGTH, needed),
  };
}

/** Encrypts a key file in OpenSSL `enc` format (AES-256-CBC, EVP_BytesToKey with SHA-1). */
export function encryptKeyFile(plaintext: string, passphrase: Buffer): Buffer {
  const salt = randomBytes(OPENSSL_SALT_LENGTH);
  const { key, iv } = deriveOpensslKeyAndIv(passphrase, salt);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([OPENSSL_SALT_MAGIC, salt, body]);
}

/** Decrypts a key file written by {@link encryptKeyFile} or `openssl enc -aes-256-cbc -md sha1`. */
export function decryptKeyFile(encrypted: Buffer, passphrase: Buffer, source: string): string {
  const headerLength = OPENSSL_SALT_MAGIC.length + OPENSSL_SALT_LENGTH;
  if (encrypted.length < headerLength + AES_BLOCK_LENGTH) {
    throw new KeyError(
      'KEY_FILE_INVALID',
      `encrypted key file ${source} is ${encrypted.length} bytes; it needs at least ${headerLength + AES_BLOCK_LENGTH}`,
      { hint: 'restore the encrypted key file from your backup' },
    );
  }
  if (!encrypted.subarray(0, OPENSSL_SALT_MAGIC.length).equals(OPENSSL_SALT_MAGIC)) {
    throw new KeyError(
      'KEY_FILE_INVALID',
      `encrypted key file ${source} does not start with "Salted__", so it is not OpenSSL enc output`,
      { hint: 'this key file is not encrypted; start without --filekey or restore the right file' },
    );
  }

  const salt = encrypted.subarray(OPENSSL_SALT_MAGIC.length, headerLength);
  const { key, iv } = deriveOpensslKeyAndIv(passphrase, salt);
  const wrongPassphrase = (cause?: unknown) =>
    new KeyError('FILEKEY_WRONG', `cannot decrypt key file ${source}: wrong passphrase`, {
      hint: 'restore the passphrase file that encrypted this key file; it was changed or replaced',
      cause,
    });

  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    const plain = Buffer.concat([
      decipher.update(encrypted.subarray(headerLength)),
      decipher.final(),
    ]);
    text = plain.toString('latin1');
  } catch (error) {
    throw wrongPassphrase(error);
  }
  // About one wrong passphrase in 256 still yields valid CBC padding; its output is random
  // bytes rather than the text of a key file.
  if (!/^[\x20-\x7e\t\r\n]*$/.test(text)) throw wrongPassphrase();
  return text;
}

/** Label of the key check value algorithm, stored with the values. */
export const KEY_CHECK_ALGORITHM = 'HMAC-SHA256/mariadb-tdx-kcv-v1/64';

/**
 * Computes a key check value: the first 8 bytes of HMAC-SHA256 under the key over a fixed label.
 * It identifies a key without revealing it, so a wrong key is caught before MariaDB starts and
 * misreports encrypted pages as corrupt.
 */
export function computeKeyCheckValue(key: Buffer): string {
  return createHmac('sha256', key)
    .update('mariadb-tdx key check value')
    .digest()
    .subarray(0, 8)
    .toString('hex');
}
