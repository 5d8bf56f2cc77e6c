import { readFile } from 'node:fs/promises';
import { computeKeyCheckValue, parseKeyFile } from '../../mariadb/keys.js';
import { KeyError } from '../../errors.js';
import { isErrno } from '../../util/fs.js';
import { BrokerError } from '../errors.js';
import { brokerLayout, readBrokerConfig } from '../broker/config.js';
import type { KeyStore, KeySetInfo, KeyVersionInfo } from './key-store.js';
import { openCheckedKeyStore } from './master-check.js';

/**
 * Opens the key store of a broker directory; fails with MASTER_KEY_MISMATCH when master.key did
 * not seal it.
 */
export async function openKeyStore(dir: string): Promise<KeyStore> {
  const layout = brokerLayout(dir);
  return openCheckedKeyStore(layout, await readBrokerConfig(layout));
}

/** Lists key sets, ids, versions and check values; never key bytes. */
export async function listKeys(dir: string): Promise<KeySetInfo[]> {
  return (await openKeyStore(dir)).list();
}

/** Creates a key set with fresh keys (ids 1 and 2 unless given). */
export async function createKeySet(
  dir: string,
  keyset: string,
  ids?: readonly number[],
): Promise<KeySetInfo> {
  const store = await openKeyStore(dir);
  await store.createKeySet(keyset, ids);
  return (await store.list()).find((entry) => entry.keyset === keyset)!;
}

/** Adds a fresh version of a key; every earlier version stays available. */
export async function rotateKey(dir: string, keyset: string, id: number): Promise<KeyVersionInfo> {
  return (await openKeyStore(dir)).rotate(keyset, id);
}

/**
 * Imports the keys of a file_key_management key file into a key set, each as the next version
 * of its id, so a database that used a local key file can move to the broker. A key that the
 * key set already contains (the same check value under the same id) is refused before anything is
 * written, so importing a file twice adds nothing. The key file itself is left unchanged.
 */
export async function importKeyFile(
  dir: string,
  keyset: string,
  keyFilePath: string,
): Promise<{ id: number; version: number; kcv: string }[]> {
  const store = await openKeyStore(dir);
  const keys = await readImportedKeyFile(keyFilePath);
  const existing = (await store.list()).find((entry) => entry.keyset === keyset)?.keys ?? [];
  for (const [id, key] of keys) {
    const kcv = computeKeyCheckValue(key);
    const same = existing.find((entry) => entry.id === id)?.versions.find((v) => v.kcv === kcv);
    if (same) {
      throw new BrokerError(
        'KEY_DUPLICATE',
        `key ${id} of ${keyFilePath} is already version ${same.version} of ${keyset}/${id} ` +
          `(check value ${kcv}); nothing was imported`,
        {
          hint: 'the key file was imported before; list the key set with: mariadb-tdx kbs keys list',
        },
      );
    }
  }

  const imported = [];
  for (const [id, key] of keys) {
    const info = await store.importKey(keyset, id, key);
    imported.push({ id, version: info.version, kcv: info.kcv });
  }
  return imported;
}

/**
 * Reads the key file to import. Its own parse errors advise restoring a damaged key file, which
 * is wrong here, so they get a hint about the format that import expects.
 */
async function readImportedKeyFile(path: string) {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const reason = isErrno(error, 'ENOENT')
      ? 'does not exist'
      : isErrno(error, 'EISDIR')
        ? 'is a directory'
        : `cannot be read: ${(error as Error).message}`;
    throw new KeyError('KEY_FILE_INVALID', `key file ${path} ${reason}`, {
      hint: 'pass the file_key_management key file to import, such as keys/keyfile of a state directory',
      cause: error,
    });
  }
  if (bytes.subarray(0, 8).toString('latin1') === 'Salted__') {
    throw new KeyError('KEY_FILE_INVALID', `key file ${path} is encrypted (OpenSSL enc format)`, {
      hint: `decrypt it to a file on tmpfs first, for example: openssl enc -d -aes-256-cbc -md sha1 -pass file:PASSFILE -in ${path} -out /dev/shm/keyfile, then import that and delete it`,
    });
  }
  try {
    return parseKeyFile(bytes.toString('utf8'), path);
  } catch (error) {
    if (error instanceof KeyError && error.code === 'KEY_FILE_INVALID') {
      throw new KeyError('KEY_FILE_INVALID', error.message, {
        hint: 'import takes a file_key_management key file: one "<id>;<hex key>" line per key',
        cause: error,
      });
    }
    throw error;
  }
}
