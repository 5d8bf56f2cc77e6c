import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokerError } from '../errors.js';
import { RESOURCE_SEGMENT } from '../protocol.js';
import { computeKeyCheckValue, KEY_LENGTH, REQUIRED_KEY_IDS } from '../../mariadb/keys.js';
import { isErrno, publishNewFile } from '../../util/fs.js';
import { randomBytes } from 'node:crypto';
import { sealKey, unsealKey, type SealedKey } from './sealing.js';

/** One stored version of a key, decrypted. */
export interface KeyVersion {
  readonly version: number;
  readonly key: Buffer;
  readonly kcv: string;
  readonly createdAt: string;
}

/** Public description of one stored version: no key bytes. */
export interface KeyVersionInfo {
  readonly version: number;
  readonly kcv: string;
  readonly createdAt: string;
}

/** Public description of a key set. */
export interface KeySetInfo {
  readonly keyset: string;
  readonly keys: readonly { readonly id: number; readonly versions: readonly KeyVersionInfo[] }[];
}

/** A version record on disk: public metadata and the sealed key. */
interface VersionRecord extends KeyVersionInfo {
  readonly format: 1;
  readonly keyset: string;
  readonly id: number;
  readonly sealed: SealedKey;
}

const RECORD_SUFFIX = '.json';
const MAX_KEY_ID = 0xffffffff;
// Concurrent rotations of one key race for the next version number; the loser retries.
const MAX_PUBLISH_ATTEMPTS = 8;

/**
 * The broker's key store: `<root>/<key set>/<key id>/<version>.json`, one file per key version,
 * each key sealed under the master key. Files are published atomically and never replaced, and
 * no version is ever deleted, because MariaDB needs old versions to read pages written with them.
 */
export class KeyStore {
  constructor(
    private readonly root: string,
    private readonly sealingKey: Buffer,
  ) {}

  /** Creates a key set with a fresh random version 1 of each id (default ids 1 and 2). */
  async createKeySet(keyset: string, ids: readonly number[] = REQUIRED_KEY_IDS) {
    checkKeySetName(keyset);
    ids.forEach(checkKeyId);
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    try {
      await mkdir(join(this.root, keyset), { mode: 0o700 });
    } catch (error) {
      if (isErrno(error, 'EEXIST')) {
        throw new BrokerError('KEYSET_EXISTS', `key set ${keyset} already exists`, {
          hint: `add a key version with: mariadb-tdx kbs keys rotate ${keyset} ID`,
        });
      }
      throw error;
    }
    for (const id of ids) await this.addVersion(keyset, id, randomBytes(KEY_LENGTH));
  }

  /** Adds a fresh random version of a key and returns its number; older versions stay. */
  async rotate(keyset: string, id: number): Promise<KeyVersionInfo> {
    await this.requireKey(keyset, id);
    return this.addVersion(keyset, id, randomBytes(KEY_LENGTH));
  }

  /**
   * Adds an existing key (for example one imported from a file_key_management key file) as the
   * next version of a key id, creating the key set and id when needed.
   */
  async importKey(keyset: string, id: number, key: Buffer): Promise<KeyVersionInfo> {
    checkKeySetName(keyset);
    checkKeyId(id);
    if (![16, 24, 32].includes(key.length)) {
      throw new BrokerError('KEY_INVALID', `key ${keyset}/${id} is ${key.length} bytes`, {
        hint: 'MariaDB keys are 16, 24 or 32 bytes (32, 48 or 64 hex digits)',
      });
    }
    await mkdir(join(this.root, keyset), { recursive: true, mode: 0o700 });
    return this.addVersion(keyset, id, key);
  }

  /** Returns every version of a key, oldest first, decrypted. */
  async readKey(keyset: string, id: number): Promise<KeyVersion[]> {
    const versions = await this.requireKey(keyset, id);
    const result: KeyVersion[] = [];
    for (const version of versions) {
      const record = await this.readRecord(keyset, id, version);
      const key = unsealKey(this.sealingKey, record.sealed, recordContext(record));
      if (computeKeyCheckValue(key) !== record.kcv) {
        throw new BrokerError(
          'KEY_STORE_CORRUPT',
          `stored key ${keyset}/${id} version ${version} does not match its check value`,
          { hint: 'restore the key store from your backup' },
        );
      }
      result.push({ version, key, kcv: record.kcv, createdAt: record.createdAt });
    }
    return result;
  }

  /** Lists the key sets with their ids and versions, without reading any key. */
  async list(): Promise<KeySetInfo[]> {
    const names = (await readdirOrEmpty(this.root)).filter((name) => RESOURCE_SEGMENT.test(name));
    const result: KeySetInfo[] = [];
    for (const keyset of names.sort()) {
      const ids = (await readdirOrEmpty(join(this.root, keyset)))
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .sort((a, b) => a - b);
      const keys = [];
      for (const id of ids) {
        const versions = await this.versionNumbers(keyset, id);
        const infos = [];
        for (const version of versions) {
          const { kcv, createdAt } = await this.readRecord(keyset, id, version);
          infos.push({ version, kcv, createdAt });
        }
        keys.push({ id, versions: infos });
      }
      result.push({ keyset, keys });
    }
    return result;
  }

  /**
   * Tries to decrypt the oldest version of the first stored key, so a master key that did not
   * seal this store is found before anything is written under it. Returns undefined when the
   * store contains no key.
   */
  async unsealsOldestVersion(): Promise<boolean | undefined> {
    for (const entry of await this.list()) {
      const key = entry.keys.find((candidate) => candidate.versions.length > 0);
      if (!key) continue;
      const record = await this.readRecord(entry.keyset, key.id, key.versions[0]!.version);
      try {
        unsealKey(this.sealingKey, record.sealed, recordContext(record));
        return true;
      } catch (error) {
        if (error instanceof BrokerError && error.code === 'KEY_STORE_CORRUPT') return false;
        throw error;
      }
    }
    return undefined;
  }

  /** True when the key set exists. */
  async hasKeySet(keyset: string): Promise<boolean> {
    if (!RESOURCE_SEGMENT.test(keyset)) return false;
    return (await readdirOrEmpty(this.root)).includes(keyset);
  }

  private async addVersion(keyset: string, id: number, key: Buffer): Promise<KeyVersionInfo> {
    const directory = join(this.root, keyset, String(id));
    await mkdir(directory, { recursive: true, mode: 0o700 });

    for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      const existing = await this.versionNumbers(keyset, id);
      const version = (existing.at(-1) ?? 0) + 1;
      const info = { version, kcv: computeKeyCheckValue(key), createdAt: new Date().toISOString() };
      const context = recordContext({ keyset, id, ...info });
      const record: VersionRecord = {
        format: 1,
        keyset,
        id,
        ...info,
        sealed: sealKey(this.sealingKey, key, context),
      };
      try {
        await publishNewFile(join(directory, `${version}${RECORD_SUFFIX}`), recordText(record));
        return info;
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw error;
      }
    }
    throw new BrokerError(
      'KEY_VERSION_EXISTS',
      `could not add a version to ${keyset}/${id}: other writers took every version number tried`,
      { hint: 'run the rotation again' },
    );
  }

  private async requireKey(keyset: string, id: number): Promise<number[]> {
    checkKeySetName(keyset);
    checkKeyId(id);
    if (!(await this.hasKeySet(keyset))) {
      throw new BrokerError('KEYSET_NOT_FOUND', `key set ${keyset} does not exist`, {
        hint: 'list key sets with: mariadb-tdx kbs keys list',
      });
    }
    const versions = await this.versionNumbers(keyset, id);
    if (versions.length === 0) {
      throw new BrokerError('KEY_NOT_FOUND', `key set ${keyset} has no key id ${id}`, {
        hint: 'list its keys with: mariadb-tdx kbs keys list',
      });
    }
    return versions;
  }

  private async versionNumbers(keyset: string, id: number): Promise<number[]> {
    const names = await readdirOrEmpty(join(this.root, keyset, String(id)));
    return names
      .filter((name) => /^\d+\.json$/.test(name))
      .map((name) => Number(name.slice(0, -RECORD_SUFFIX.length)))
      .sort((a, b) => a - b);
  }

  private async readRecord(keyset: string, id: number, version: number): Promise<VersionRecord> {
    const path = join(this.root, keyset, String(id), `${version}${RECORD_SUFFIX}`);
    let record: Partial<VersionRecord>;
    try {
      record = JSON.parse(await readFile(path, 'utf8')) as Partial<VersionRecord>;
    } catch (error) {
      throw new BrokerError('KEY_STORE_CORRUPT', `key record ${path} is not readable JSON`, {
        hint: 'restore the key store from your backup',
        cause: error,
      });
    }
    const valid =
      record.format === 1 &&
      record.keyset === keyset &&
      record.id === id &&
      record.version === version &&
      typeof record.kcv === 'string' &&
      typeof record.createdAt === 'string' &&
      record.sealed?.alg === 'A256GCM';
    if (!valid) {
      throw new BrokerError('KEY_STORE_CORRUPT', `key record ${path} is not a valid record`, {
        hint: 'restore the key store from your backup',
      });
    }
    return record as VersionRecord;
  }
}

function recordContext(record: { keyset: string; id: number; version: number; kcv: string }) {
  return `${record.keyset}/${record.id}/${record.version}/${record.kcv}`;
}

function recordText(record: VersionRecord) {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Throws unless `keyset` is a plain name usable as a path segment and a resource repository. */
export function checkKeySetName(keyset: string) {
  if (!RESOURCE_SEGMENT.test(keyset)) {
    throw new BrokerError('KEY_INVALID', `key set name ${JSON.stringify(keyset)} is not allowed`, {
      hint: 'use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  }
}

function checkKeyId(id: number) {
  if (!Number.isInteger(id) || id < 1 || id > MAX_KEY_ID) {
    throw new BrokerError('KEY_INVALID', `key id ${id} is not a MariaDB key id`, {
      hint: `key ids are whole numbers from 1 to ${MAX_KEY_ID}`,
    });
  }
}

async function readdirOrEmpty(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
}
