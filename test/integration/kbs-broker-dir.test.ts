import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSimulatedTd,
  type SimulatedTdSummary,
} from '../../src/attest/evidence/simulated/td.js';
import { initBroker } from '../../src/kbs/broker/init.js';
import { serveBroker } from '../../src/kbs/broker/run.js';
import { createKeySet, importKeyFile, listKeys, rotateKey } from '../../src/kbs/store/admin.js';
import { generateMasterKey } from '../../src/kbs/store/sealing.js';

/** Reads every file below `dir`, to show that a rejected command wrote nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    result[path] = await readFile(path, 'utf8');
  }
  return result;
}

describe('broker directory', () => {
  let parent: string;
  let sim: SimulatedTdSummary;
  let keyFile: string;

  const init = (name: string, extra: Partial<Parameters<typeof initBroker>[0]> = {}) =>
    initBroker({
      dir: join(parent, name),
      listen: '127.0.0.1:0',
      policyPath: sim.policy,
      collateral: sim.collateral,
      keyset: 'mariadb',
      ...extra,
    });

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'kbs-broker-dir-'));
    sim = await createSimulatedTd(join(parent, 'sim'));
    keyFile = join(parent, 'keyfile');
    await writeFile(keyFile, `1;${'11'.repeat(32)}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  describe('with a replaced master key', () => {
    let dir: string;
    let original: string;
    let replacement: string;

    beforeAll(async () => {
      dir = (await init('replaced')).dir;
      original = await readFile(join(dir, 'master.key'), 'utf8');
      replacement = generateMasterKey();
      await writeFile(join(dir, 'master.key'), replacement, { mode: 0o600 });
    });

    const refusals = (): [string, () => Promise<unknown>][] => [
      ['serve', () => serveBroker({ dir, listen: '127.0.0.1:0', simulatedRoot: sim.rootCa })],
      ['rotate', () => rotateKey(dir, 'mariadb', 1)],
      ['create', () => createKeySet(dir, 'other')],
      ['import', () => importKeyFile(dir, 'imported', keyFile)],
      ['list', () => listKeys(dir)],
    ];

    it('rejects every command and writes nothing', async () => {
      const before = await snapshot(dir);
      for (const [name, run] of refusals()) {
        const error = (await run().then(
          () => undefined,
          (caught: unknown) => caught,
        )) as { code?: string; message?: string; hint?: string } | undefined;
        expect(error?.code, name).toBe('MASTER_KEY_MISMATCH');
        expect(error?.message, name).toContain(join(dir, 'master.key'));
        expect(error?.hint, name).toContain('restore the master.key');
      }
      expect(await snapshot(dir)).toEqual(before);
      expect(await readFile(join(dir, 'master.key'), 'utf8')).toBe(replacement);
    });

    it('works again with the original key', async () => {
      await writeFile(join(dir, 'master.key'), original, { mode: 0o600 });
      const rotated = await rotateKey(dir, 'mariadb', 1);
      expect(rotated.version).toBe(2);
    });
  });

  describe('made before check values', () => {
    // Such a directory has no masterKeyCheck in kbs.json, so a stored version is decrypted.
    const dropCheckValue = async (dir: string) => {
      const configPath = join(dir, 'kbs.json');
      const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
      expect(config.masterKeyCheck).toMatch(/^[0-9a-f]{32}$/);
      delete config.masterKeyCheck;
      await writeFile(configPath, JSON.stringify(config));
    };

    it('rejects a replaced key by decrypting', async () => {
      const { dir } = await init('legacy');
      await dropCheckValue(dir);
      const original = await readFile(join(dir, 'master.key'), 'utf8');
      await writeFile(join(dir, 'master.key'), generateMasterKey(), { mode: 0o600 });

      await expect(rotateKey(dir, 'mariadb', 2)).rejects.toMatchObject({
        code: 'MASTER_KEY_MISMATCH',
      });
      await expect(listKeys(dir)).rejects.toMatchObject({ code: 'MASTER_KEY_MISMATCH' });

      await writeFile(join(dir, 'master.key'), original, { mode: 0o600 });
      expect((await rotateKey(dir, 'mariadb', 2)).version).toBe(2);
    });

    it('accepts any key while the store is empty', async () => {
      const { dir } = await init('legacy-empty', { keyset: undefined });
      await dropCheckValue(dir);
      await writeFile(join(dir, 'master.key'), generateMasterKey(), { mode: 0o600 });
      const created = await createKeySet(dir, 'mariadb');
      expect(created.keys.map((key) => key.id)).toEqual([1, 2]);
    });
  });

  describe('init with a bad input', () => {
    const cases: [string, () => Promise<Partial<Parameters<typeof initBroker>[0]>>, string][] = [
      [
        'policy with a typo',
        async () => {
          const policy = join(parent, 'typo.yaml');
          await writeFile(policy, 'mrtd: x\n');
          return { policyPath: policy };
        },
        'POLICY_INVALID',
      ],
      [
        'missing policy',
        async () => ({ policyPath: join(parent, 'none.json') }),
        'POLICY_NOT_FOUND',
      ],
      [
        'missing collateral',
        async () => ({ collateral: join(parent, 'none-collateral') }),
        'COLLATERAL_NOT_FOUND',
      ],
    ];

    for (const [name, options, code] of cases) {
      it(`rejects a ${name} before writing`, async () => {
        const dirName = `bad-${name.replaceAll(' ', '-')}`;
        await expect(init(dirName, await options())).rejects.toMatchObject({ code });
        await expect(readdir(join(parent, dirName))).rejects.toMatchObject({ code: 'ENOENT' });
      });
    }

    it('leaves an empty directory empty', async () => {
      const dir = join(parent, 'empty');
      await mkdir(dir);
      await expect(init('empty', { policyPath: join(parent, 'none.json') })).rejects.toMatchObject({
        code: 'POLICY_NOT_FOUND',
      });
      expect(await readdir(dir)).toEqual([]);

      const result = await init('empty');
      expect(result.dir).toBe(dir);
    });
  });
});
