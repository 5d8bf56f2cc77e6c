import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKeyStore } from '../../src/kbs/store/admin.js';
import { connectLocal } from '../../src/local/client.js';
import { down } from '../../src/local/down.js';
import { readManifest } from '../../src/local/manifest.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { findFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';
import { startTestBroker, type TestBroker } from '../helpers/kbs.js';
import { mariadbAvailable } from '../helpers/mariadb.js';

const available = await mariadbAvailable();

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe.skipIf(!available)('provision with keys from a key broker', () => {
  let parent: string;
  let test: TestBroker;
  let dir: string;
  let port: number;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'provision-kbs-'));
    test = await startTestBroker(parent);
    dir = join(parent, 'guest-state');
  });
  afterAll(async () => {
    await down({ dir, purge: true, yes: true }).catch(() => undefined);
    await test?.close();
    await rm(parent, { recursive: true, force: true });
  });

  const provisionArgs = () => [
    'provision',
    '--dir',
    dir,
    '--bind-address',
    '127.0.0.1',
    '--no-systemd',
    '--dataset',
    'banking',
    '--rows',
    '20',
    '--kbs',
    test.broker.url,
    '--kbs-ca',
    join(test.dir, 'tls', 'ca.pem'),
    '--evidence',
    'simulated',
    '--simulated-td',
    test.sim.dir,
  ];

  it('starts the hardened server on broker keys and loads the data set', async () => {
    port = await findFreePort();
    const result = await runCli([...provisionArgs(), '--port', String(port), '--json', '-q']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      server: { keyProtection: string; simulatedEvidence: boolean; port: number };
      datasetLoaded: boolean;
      systemdUnit?: string;
    };
    expect(summary.server).toMatchObject({
      keyProtection: 'key broker: agent on loopback',
      simulatedEvidence: true,
      port,
    });
    expect(summary.datasetLoaded).toBe(true);
    expect(summary.systemdUnit).toBeUndefined();

    const layout = stateLayout(dir);
    expect(existsSync(layout.keyFile)).toBe(false);
    expect((await readManifest(layout)).keySource).toMatchObject({ url: test.broker.url });

    const connection = await connectLocal(dir);
    try {
      const rows = (await connection.query('SELECT COUNT(*) AS n FROM Customers.Individuals')) as {
        n: bigint;
      }[];
      expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(20);
    } finally {
      await connection.end();
    }
  });

  it('reports SIMULATED broker keys when run again', async () => {
    const result = await runCli([...provisionArgs(), '--port', String(port), '-q']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('SIMULATED');
    expect(result.stdout).toMatch(/keys\s+key broker: agent on loopback; no key on the guest disk/);
    expect(result.stdout).toMatch(/banking data\s+not loaded now/);
  });

  it('leaves no key bytes in the guest state directory', async () => {
    const store = await openKeyStore(test.dir);
    const needles: Buffer[] = [];
    for (const id of [1, 2]) {
      for (const version of await store.readKey('mariadb', id)) {
        needles.push(version.key, Buffer.from(version.key.toString('hex')));
      }
    }
    const files = await filesUnder(dir);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const needle of needles) {
        if (bytes.includes(needle)) expect.fail(`${file} contains key material`);
      }
    }
  });

  it.each([
    [['--kbs-ca', 'ca.pem'], '--kbs-ca has no effect without --kbs'],
    [['--keyset', 'orders'], '--keyset has no effect without --kbs'],
    [['--key-delivery', 'keyfile'], '--key-delivery has no effect without --kbs'],
    [['--kbs', 'http://127.0.0.1:8443', '--kbs-ca', 'ca.pem'], 'must be a plain https:// URL'],
    [['--kbs', 'not a url', '--kbs-ca', 'ca.pem'], 'is not a URL'],
    [
      ['--kbs', 'https://127.0.0.1:9', '--kbs-ca', 'ca.pem', '--simulated-td', 'sim'],
      '--simulated-td needs --evidence simulated',
    ],
  ])('refuses %j before touching anything', async (args, message) => {
    const other = join(parent, 'untouched');
    const result = await runCli(['provision', '--dir', other, '--no-systemd', ...args, '--json']);
    expect(result.status).toBe(2);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toContain(message);
    expect(existsSync(other)).toBe(false);
  });

  it('keeps credentials in a broker URL out of the error', async () => {
    const result = await runCli([
      'up',
      '--dir',
      join(parent, 'untouched'),
      '--kbs',
      'https://admin:hunter2-canary@127.0.0.1:8443/',
      '--kbs-ca',
      'ca.pem',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('must be a plain https:// URL');
    expect(result.stdout + result.stderr).not.toContain('hunter2-canary');
  });
});
