import { readFile, stat } from 'node:fs/promises';
import { KeyError } from '../errors.js';
import { isErrno, pathExists, writeNewFile } from '../util/fs.js';
import {
  KEY_CHECK_ALGORITHM,
  REQUIRED_KEY_IDS,
  computeKeyCheckValue,
  decryptKeyFile,
  encryptKeyFile,
  formatKeyFile,
  generateKeyRing,
  parseKeyFile,
  type KeyRing,
} from './keys.js';
import type { StateLayout } from './layout.js';

/** Key protection of a local server on disk. */
export interface LocalKeyOptions {
  /** File holding the passphrase that encrypts the key file; unset keeps the key file in clear. */
  readonly filekeyPath?: string | undefined;
}

/** Stored key check values; public data that identifies each key without revealing it. */
interface KeyCheckDocument {
  readonly algorithm: string;
  readonly keys: Record<string, string>;
}

// MariaDB reads at most 256 characters of a filekey file and strips trailing newlines.
const MAX_FILEKEY_LENGTH = 256;

/**
 * Reads the passphrase of an encrypted key file the way file_key_management does. `existing`
 * states whether a key file encrypted with it already exists, which changes the advice when the
 * file is missing. The file must be private to its owner.
 */
export async function readFilekey(
  path: string,
  context: { existing: boolean } = { existing: true },
): Promise<Buffer> {
  let raw: Buffer;
  try {
    const info = await stat(path);
    if (info.isFile() && (info.mode & 0o077) !== 0) {
      throw new KeyError(
        'FILEKEY_INVALID',
        `filekey ${path} has mode ${(info.mode & 0o777).toString(8)}; it must be private to its owner`,
        { hint: `chmod 600 ${path}` },
      );
    }
    raw = await readFile(path);
  } catch (error) {
    if (error instanceof KeyError) throw error;
    if (isErrno(error, 'ENOENT')) {
      throw new KeyError('FILEKEY_MISSING', `filekey ${path} does not exist`, {
        hint: context.existing
          ? 'restore the passphrase file from your backup; the key file cannot be read without it'
          : `create it once and keep it safe: (umask 077; openssl rand -hex 32 > ${path})`,
        cause: error,
      });
    }
    const reason = isErrno(error, 'EISDIR') ? 'it is a directory' : (error as Error).message;
    throw new KeyError('FILEKEY_INVALID', `cannot read filekey ${path}: ${reason}`, {
      hint: 'pass a file that contains the passphrase',
      cause: error,
    });
  }

  const passphrase = raw.toString('utf8').replace(/[\r\n]+$/, '');
  if (passphrase.length === 0 || passphrase.length > MAX_FILEKEY_LENGTH) {
    throw new KeyError(
      'FILEKEY_INVALID',
      `filekey ${path} holds ${passphrase.length} characters; MariaDB accepts 1 to ${MAX_FILEKEY_LENGTH}`,
      { hint: 'write a passphrase of 1 to 256 characters, for example 64 hex digits' },
    );
  }
  return Buffer.from(passphrase, 'utf8');
}

/**
 * Generates keys 1 and 2 and writes them with their check values. With a filekey the key file is
 * written only in encrypted form. Fails with KEY_EXISTS rather than replace any existing file.
 */
export async function createLocalKeys(layout: StateLayout, options: LocalKeyOptions) {
  for (const path of [layout.keyFile, layout.encryptedKeyFile, layout.keyCheckFile]) {
    if (await pathExists(path)) {
      throw new KeyError('KEY_EXISTS', `${path} already exists; keys are never regenerated`, {
        hint: 'run up on this state directory to start the server with its existing keys',
      });
    }
  }

  const keys = generateKeyRing();
  const checks: KeyCheckDocument = {
    algorithm: KEY_CHECK_ALGORITHM,
    keys: Object.fromEntries([...keys].map(([id, key]) => [String(id), computeKeyCheckValue(key)])),
  };

  if (options.filekeyPath) {
    const passphrase = await readFilekey(options.filekeyPath);
    await writeNewFile(layout.encryptedKeyFile, encryptKeyFile(formatKeyFile(keys), passphrase));
  } else {
    await writeNewFile(layout.keyFile, formatKeyFile(keys));
  }
  await writeNewFile(layout.keyCheckFile, `${JSON.stringify(checks, null, 2)}\n`, 0o644);
}

/** Path of the key file that MariaDB reads, for the chosen protection. */
export function keyFilePath(layout: StateLayout, options: LocalKeyOptions): string {
  return options.filekeyPath ? layout.encryptedKeyFile : layout.keyFile;
}

/**
 * Loads the key file and compares every key with its stored check value. Throws KeyError when a
 * key is missing, the file is readable by others, or a key differs from the one created.
 */
export async function verifyLocalKeys(layout: StateLayout, options: LocalKeyOptions) {
  const path = keyFilePath(layout, options);
  const keys = await loadKeyRing(path, options);
  const checks = await loadKeyChecks(layout.keyCheckFile);

  for (const id of REQUIRED_KEY_IDS) {
    const key = keys.get(id);
    if (!key) {
      throw new KeyError('KEY_FILE_INVALID', `key file ${path} has no key id ${id}`, {
        hint: 'restore the key file from your backup; the hardened profile needs ids 1 and 2',
      });
    }
    const expected = checks.keys[String(id)];
    if (expected === undefined) {
      throw new KeyError('KEY_CHECK_MISSING', `${layout.keyCheckFile} has no entry for key ${id}`, {
        hint: 'restore key-check.json from your backup together with the key file',
      });
    }
    if (computeKeyCheckValue(key) !== expected) {
      throw new KeyError(
        'KEY_CHECK_MISMATCH',
        `key ${id} in ${path} does not match its check value ${expected} in ${layout.keyCheckFile}`,
        {
          hint:
            'the key file was changed or replaced; restore the original from your backup. ' +
            'Starting with a different key would make every encrypted page unreadable',
        },
      );
    }
  }
}

async function loadKeyRing(path: string, options: LocalKeyOptions): Promise<KeyRing> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new KeyError('KEY_FILE_MISSING', `key file ${path} does not exist`, {
        hint:
          'restore it from your backup. A new key cannot read the existing data, ' +
          'so mariadb-tdx never creates one in an existing state directory',
        cause: error,
      });
    }
    throw error;
  }

  if ((info.mode & 0o077) !== 0) {
    throw new KeyError(
      'KEY_FILE_PERMISSIONS',
      `key file ${path} has mode ${(info.mode & 0o777).toString(8)}; it must be private to its owner`,
      { hint: `chmod 600 ${path}` },
    );
  }

  const raw = await readFile(path);
  const text = options.filekeyPath
    ? decryptKeyFile(raw, await readFilekey(options.filekeyPath), path)
    : raw.toString('utf8');
  return parseKeyFile(text, path);
}

async function loadKeyChecks(path: string): Promise<KeyCheckDocument> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new KeyError('KEY_CHECK_MISSING', `key check file ${path} does not exist`, {
        hint: 'restore key-check.json from your backup together with the key file',
        cause: error,
      });
    }
    throw new KeyError('KEY_CHECK_INVALID', `key check file ${path} is not valid JSON`, {
      hint: 'restore key-check.json from your backup',
      cause: error,
    });
  }

  const candidate = document as Partial<KeyCheckDocument>;
  if (candidate.algorithm !== KEY_CHECK_ALGORITHM || typeof candidate.keys !== 'object') {
    throw new KeyError(
      'KEY_CHECK_INVALID',
      `key check file ${path} does not use algorithm ${KEY_CHECK_ALGORITHM}`,
      { hint: 'restore key-check.json from your backup' },
    );
  }
  return candidate as KeyCheckDocument;
}
