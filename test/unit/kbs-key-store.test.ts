import { randomBytes } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/kbs/errors.js';
import { KeyStore } from '../../src/kbs/store/key-store.js';
import { generateMasterKey, loadSealingKey } from '../../src/kbs/store/sealing.js';
import { computeKeyCheckValue } from '../../src/mariadb/keys.js';
import { scratchDir } from '../helpers/scratch.js';

async function openStore(root?: string) {
  const dir = root ?? (await scratchDir('kbs-store-'));
  const masterKey = join(dir, 'master.key');
  await writeFile(masterKey, generateMasterKey(), { flag: 'wx' }).catch(() => undefined);
  const store = new KeyStore(join(dir, 'keys'), await loadSealingKey(masterKey));
  return { dir, store };
}

describe('broker key store', () => {
  let dir: string;
  let store: KeyStore;

  beforeEach(async () => {
    ({ dir, store } = await openStore());
  });

  it('creates version 1 of keys 1 and 2', async () => {
    await store.createKeySet('bank');
    const [set] = await store.list();
    expect(set?.keyset).toBe('bank');
    expect(set?.keys.map((key) => key.id)).toEqual([1, 2]);
    expect(set?.keys[0]?.versions.map((version) => version.version)).toEqual([1]);
  });

  it('keeps every version after rotations', async () => {
    await store.createKeySet('bank');
    const first = await store.readKey('bank', 1);
    await store.rotate('bank', 1);
    await store.rotate('bank', 1);
    const versions = await store.readKey('bank', 1);
    expect(versions.map((version) => version.version)).toEqual([1, 2, 3]);
    expect(versions[0]!.key.equals(first[0]!.key)).toBe(true);
    expect(versions[1]!.key.equals(versions[2]!.key)).toBe(false);
  });

  it('stores no key bytes in clear', async () => {
    await store.createKeySet('bank');
    const [version] = await store.readKey('bank', 1);
    const record = await readFile(join(dir, 'keys', 'bank', '1', '1.json'), 'utf8');
    expect(record).not.toContain(version!.key.toString('hex'));
    expect(record).not.toContain(version!.key.toString('base64'));
    expect(record).toContain(version!.kcv);
  });

  it('serves every version after reopening with the master key', async () => {
    await store.createKeySet('bank');
    await store.rotate('bank', 2);
    const before = await store.readKey('bank', 2);
    const { store: reopened } = await openStore(dir);
    const after = await reopened.readKey('bank', 2);
    expect(after.map((version) => version.key.toString('hex'))).toEqual(
      before.map((version) => version.key.toString('hex')),
    );
  });

  it('gives concurrent rotations distinct versions', async () => {
    await store.createKeySet('bank');
    const results = await Promise.all([1, 2, 3, 4].map(() => store.rotate('bank', 1)));
    expect(new Set(results.map((result) => result.version)).size).toBe(4);
    expect((await store.readKey('bank', 1)).length).toBe(5);
  });

  it('leaves no temporary files behind', async () => {
    await store.createKeySet('bank');
    await store.rotate('bank', 1);
    expect((await readdir(join(dir, 'keys', 'bank', '1'))).sort()).toEqual(['1.json', '2.json']);
  });

  it('imports an existing key as the next version', async () => {
    const key = randomBytes(32);
    const info = await store.importKey('legacy', 1, key);
    expect(info.version).toBe(1);
    expect(info.kcv).toBe(computeKeyCheckValue(key));
    expect((await store.readKey('legacy', 1))[0]!.key.equals(key)).toBe(true);
  });

  it('refuses to create a key set twice', async () => {
    await store.createKeySet('bank');
    await expect(store.createKeySet('bank')).rejects.toMatchObject({ code: 'KEYSET_EXISTS' });
  });

  it.each([['../etc'], ['a/b'], [''], ['.hidden']])('rejects the key set name %j', async (name) => {
    await expect(store.createKeySet(name)).rejects.toBeInstanceOf(BrokerError);
  });

  it('reports a missing key set and key id', async () => {
    await expect(store.readKey('nope', 1)).rejects.toMatchObject({ code: 'KEYSET_NOT_FOUND' });
    await store.createKeySet('bank');
    await expect(store.readKey('bank', 9)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
  });

  it('detects a record moved to another version', async () => {
    await store.createKeySet('bank');
    await store.rotate('bank', 1);
    const path1 = join(dir, 'keys', 'bank', '1', '1.json');
    const path2 = join(dir, 'keys', 'bank', '1', '2.json');
    const moved = JSON.parse(await readFile(path1, 'utf8'));
    const target = JSON.parse(await readFile(path2, 'utf8'));
    await writeFile(path2, JSON.stringify({ ...target, sealed: moved.sealed }));
    await expect(store.readKey('bank', 1)).rejects.toMatchObject({ code: 'KEY_STORE_CORRUPT' });
  });

  it('rejects another master key', async () => {
    await store.createKeySet('bank');
    const otherKey = join(dir, 'other.key');
    await writeFile(otherKey, generateMasterKey());
    const other = new KeyStore(join(dir, 'keys'), await loadSealingKey(otherKey));
    await expect(other.readKey('bank', 1)).rejects.toMatchObject({ code: 'KEY_STORE_CORRUPT' });
  });

  it('rejects a malformed master key file', async () => {
    const bad = join(dir, 'bad.key');
    await writeFile(bad, 'not hex\n');
    await expect(loadSealingKey(bad)).rejects.toMatchObject({ code: 'MASTER_KEY_INVALID' });
  });
});
