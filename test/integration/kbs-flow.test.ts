import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBrokerKeys } from '../../src/kbs/local-keys.js';
import { openKeyStore } from '../../src/kbs/store/admin.js';
import { connectLocal } from '../../src/local/client.js';
import { down } from '../../src/local/down.js';
import type { BrokerKeySource } from '../../src/local/manifest.js';
import { status } from '../../src/local/status.js';
import { up } from '../../src/local/up.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { startTestBroker, type TestBroker } from '../helpers/kbs.js';
import { mariadbAvailable } from '../helpers/mariadb.js';

const available = await mariadbAvailable();

type Row = Record<string, unknown>;

async function query(dir: string, sql: string): Promise<Row[]> {
  const connection = await connectLocal(dir);
  try {
    return (await connection.query(sql)) as Row[];
  } finally {
    await connection.end();
  }
}

/** Lists every regular file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe.skipIf(!available)('MariaDB with keys from the broker', () => {
  let parent: string;
  let test: TestBroker;
  const dirs: string[] = [];

  const source = (mode: BrokerKeySource['mode']): BrokerKeySource => ({
    kind: 'kbs',
    url: test.broker.url,
    caFile: join(test.dir, 'tls', 'ca.pem'),
    keyset: mode,
    mode,
    evidence: 'simulated',
    simulatedTd: test.sim.dir,
  });
  const start = (dir: string, mode?: BrokerKeySource['mode']) =>
    up({ dir, keySource: mode && source(mode), keyProvider: prepareBrokerKeys });

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'kbs-flow-'));
    test = await startTestBroker(parent);
    const store = await openKeyStore(test.dir);
    await store.createKeySet('vault');
    await store.createKeySet('keyfile');
  });
  afterAll(async () => {
    for (const dir of dirs) await down({ dir, purge: true, yes: true }).catch(() => undefined);
    await test?.close();
    await rm(parent, { recursive: true, force: true });
  });

  it('serves keys through the agent and survives a rotation and restarts', async () => {
    const dir = join(parent, 'vault-db');
    dirs.push(dir);
    const info = await start(dir, 'vault');
    expect(info.keyProtection).toBe('key broker: agent on loopback');
    await query(dir, 'CREATE DATABASE bank');
    await query(dir, "CREATE TABLE bank.t (v VARCHAR(40)) SELECT 'ROW-BEFORE-ROTATION' AS v");

    const plugins = await query(
      dir,
      "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'hashicorp_key_management'",
    );
    expect(plugins[0]?.PLUGIN_STATUS).toBe('ACTIVE');
    const report = await status({ dir });
    expect(report.encryption?.keyStorage).toContain('released by the key broker');
    expect(report.notes[0]).toContain('SIMULATED');

    await (await openKeyStore(test.dir)).rotate('vault', 1);
    await down({ dir });
    await test.restart();
    await start(dir);

    expect(await query(dir, 'SELECT v FROM bank.t')).toEqual([{ v: 'ROW-BEFORE-ROTATION' }]);
    await query(dir, "INSERT INTO bank.t VALUES ('ROW-AFTER-ROTATION')");
    const versions = await query(
      dir,
      "SELECT CURRENT_KEY_VERSION AS current FROM information_schema.INNODB_TABLESPACES_ENCRYPTION WHERE NAME = 'bank/t'",
    );
    expect(Number(versions[0]?.current)).toBe(2);

    await down({ dir });
    await start(dir);
    expect((await query(dir, 'SELECT v FROM bank.t ORDER BY v')).length).toBe(2);
  });

  it('starts from a key file on tmpfs that is gone once MariaDB runs', async () => {
    const dir = join(parent, 'keyfile-db');
    dirs.push(dir);
    const info = await start(dir, 'keyfile');
    expect(info.keyProtection).toBe('key broker: key file on tmpfs');
    const layout = stateLayout(dir);
    expect(existsSync(join(layout.ramKeysDir, 'keyfile'))).toBe(false);
    await query(dir, 'CREATE DATABASE bank');
    await query(dir, "CREATE TABLE bank.t (v VARCHAR(40)) SELECT 'ROW-KEYFILE' AS v");

    await (await openKeyStore(test.dir)).rotate('keyfile', 1);
    await down({ dir });
    await start(dir);
    expect(await query(dir, 'SELECT v FROM bank.t')).toEqual([{ v: 'ROW-KEYFILE' }]);
    const record = JSON.parse(await readFile(layout.brokerKeyCheckFile, 'utf8'));
    expect(record.pinned).toEqual({ '1': 1, '2': 1 });
    expect(Object.keys(record.keys['1'])).toEqual(['1', '2']);
  });

  it('removes its keys directory when attestation fails', async () => {
    for (const mode of ['keyfile', 'vault'] as const) {
      const dir = join(parent, `unreachable-${mode}`);
      dirs.push(dir);
      const unreachable = { ...source(mode), url: 'https://127.0.0.1:9' };
      await expect(
        up({ dir, keySource: unreachable, keyProvider: prepareBrokerKeys }),
      ).rejects.toMatchObject({
        code: mode === 'keyfile' ? 'KBS_UNREACHABLE' : 'AGENT_START_FAILED',
      });
      expect(existsSync(stateLayout(dir).ramKeysDir), mode).toBe(false);
    }
  });

  it('leaves no key bytes in any file outside RAM', async () => {
    const store = await openKeyStore(test.dir);
    const needles: Buffer[] = [];
    for (const keyset of ['vault', 'keyfile']) {
      for (const id of [1, 2]) {
        for (const version of await store.readKey(keyset, id)) {
          const hex = version.key.toString('hex');
          needles.push(
            version.key,
            Buffer.from(hex),
            Buffer.from(hex.toUpperCase()),
            Buffer.from(version.key.toString('base64')),
          );
        }
      }
    }

    const files = [...(await filesUnder(parent))];
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      if ((await stat(file)).size > 256 * 1024 * 1024) continue;
      const bytes = await readFile(file);
      for (const needle of needles) {
        if (bytes.includes(needle)) expect.fail(`${file} contains key material`);
      }
    }
  });
});
