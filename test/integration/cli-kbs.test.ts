import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('kbs, agent and simulate commands', () => {
  let parent: string;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'cli-kbs-'));
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('creates a simulated TD and a broker directory', async () => {
    const sim = await runCli(['simulate', 'td', '--dir', join(parent, 'sim'), '--json']);
    expect(sim.status).toBe(0);
    const summary = JSON.parse(sim.stdout) as {
      simulated: boolean;
      policy: string;
      collateral: string;
    };
    expect(summary.simulated).toBe(true);

    const init = await runCli([
      'kbs',
      'init',
      '--dir',
      join(parent, 'broker'),
      '--policy',
      summary.policy,
      '--collateral',
      summary.collateral,
      '--keyset',
      'mariadb',
      '--json',
    ]);
    expect(init.status).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({ listen: '127.0.0.1:8443', keyset: 'mariadb' });

    const list = await runCli(['kbs', 'keys', 'list', '--dir', join(parent, 'broker'), '--json']);
    const sets = JSON.parse(list.stdout) as { keys: { id: number }[] }[];
    expect(sets[0]?.keys.map((key) => key.id)).toEqual([1, 2]);
  });

  it('refuses an unknown log level of kbs serve', async () => {
    const result = await runCli([
      'kbs',
      'serve',
      '--dir',
      join(parent, 'broker'),
      '--log-level',
      'bogus',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("'bogus' is invalid");
    expect(result.stderr).not.toContain('internal error');
  });

  it('makes an empty broker directory made beforehand private', async () => {
    const dir = join(parent, 'premade');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    const sim = join(parent, 'sim');
    const init = await runCli([
      'kbs',
      'init',
      '--dir',
      dir,
      '--policy',
      join(sim, 'policy.json'),
      '--collateral',
      join(sim, 'collateral.json'),
    ]);
    expect(init.status).toBe(0);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('refuses to initialise a broker directory twice', async () => {
    const again = await runCli(['kbs', 'init', '--dir', join(parent, 'broker')]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('BROKER_DIR_EXISTS');
  });

  // An agent of the simulated TD against a port where no broker listens.
  const simulatedAgent = (args: readonly string[], kbs = 'https://127.0.0.1:9') =>
    runCli([
      'agent',
      '--kbs',
      kbs,
      '--kbs-ca',
      join(parent, 'broker', 'tls', 'ca.pem'),
      '--evidence',
      'simulated',
      '--simulated-td',
      join(parent, 'sim'),
      ...args,
    ]);
  const unreachableAgent = (ramDir: string) =>
    simulatedAgent(['--mode', 'keyfile', '--ram-dir', ramDir, '--json']);

  it('reports an unreachable broker as one JSON line', async () => {
    const ramParent = join('/dev/shm', `cli-kbs-${process.pid}`);
    const result = await unreachableAgent(join(ramParent, 'agent'));
    const left = existsSync(ramParent);
    await rm(ramParent, { recursive: true, force: true });
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'KBS_UNREACHABLE' } });
    expect(left).toBe(false);
  });

  it('finds a busy Vault port before it asks the broker for keys', async () => {
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    const port = (busy.address() as AddressInfo).port;
    const ramDir = join('/dev/shm', `cli-kbs-vault-${process.pid}`);
    try {
      // The broker URL leads nowhere: reaching it first would fail with KBS_UNREACHABLE.
      const result = await simulatedAgent([
        '--mode',
        'vault',
        '--vault-listen',
        `127.0.0.1:${port}`,
        '--ram-dir',
        ramDir,
        '--json',
      ]);
      expect(result.status).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'VAULT_LISTEN_FAILED' } });
    } finally {
      busy.close();
      await rm(ramDir, { recursive: true, force: true });
    }
  });

  it('rejects a RAM directory that is a file', async () => {
    const file = join('/dev/shm', `cli-kbs-file-${process.pid}`);
    await writeFile(file, 'not a directory\n');
    try {
      const result = await unreachableAgent(file);
      expect(result.status).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({
        error: { code: 'KEY_DIR_NOT_RAM', message: `${file} is not a directory` },
      });
    } finally {
      await rm(file, { force: true });
    }
  });

  it('rejects a RAM directory on disk without creating it', async () => {
    const diskDir = join(parent, 'disk-ram-dir');
    const result = await unreachableAgent(diskDir);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'KEY_DIR_NOT_RAM' } });
    expect(existsSync(diskDir)).toBe(false);
  });

  it('rejects a broker CA that is no certificate', async () => {
    const notCa = join(parent, 'sim', 'policy.json');
    const agent = await runCli([
      'agent',
      '--kbs',
      'https://127.0.0.1:9',
      '--kbs-ca',
      notCa,
      '--evidence',
      'simulated',
      '--simulated-td',
      join(parent, 'sim'),
      '--json',
    ]);
    expect(agent.status).toBe(2);
    expect(JSON.parse(agent.stdout)).toMatchObject({
      error: { code: 'INVALID_OPTION', message: `--kbs-ca ${notCa} is not a PEM certificate` },
    });

    const dir = join(parent, 'up-bad-ca');
    const up = await runCli([
      'up',
      '--dir',
      dir,
      '--kbs',
      'https://127.0.0.1:9',
      '--kbs-ca',
      notCa,
      '--json',
    ]);
    expect(up.status).toBe(2);
    expect(JSON.parse(up.stdout)).toMatchObject({ error: { code: 'INVALID_OPTION' } });
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a plain http broker URL', async () => {
    const result = await simulatedAgent([], 'http://127.0.0.1:8443');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('https://');
  });

  it('rejects a TD broker URL before boot', async () => {
    const result = await runCli([
      'vm',
      'create',
      '--tdx',
      '--image',
      join(parent, 'base.qcow2'),
      '--dry-run',
      '--kbs',
      'http://10.0.2.2:8443',
      '--kbs-ca',
      join(parent, 'broker', 'tls', 'ca.pem'),
      '--json',
    ]);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: { code: 'INVALID_OPTION', message: expect.stringContaining('https://') },
    });
  });

  it('imports a key file once and says the file stays', async () => {
    const keyFile = join(parent, 'keyfile');
    await writeFile(keyFile, `1;${'11'.repeat(32)}\n2;${'22'.repeat(32)}\n`, { mode: 0o600 });
    const args = ['kbs', 'keys', 'import', 'imported', keyFile, '--dir', join(parent, 'broker')];
    const first = await runCli(args);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`${keyFile} is unchanged`);

    const again = await runCli([...args, '--json']);
    expect(again.status).toBe(2);
    expect(JSON.parse(again.stdout).error.code).toBe('KEY_DUPLICATE');
    const list = await runCli(['kbs', 'keys', 'list', '--dir', join(parent, 'broker'), '--json']);
    const sets = JSON.parse(list.stdout) as { keyset: string; keys: { versions: unknown[] }[] }[];
    const imported = sets.find((set) => set.keyset === 'imported')!;
    expect(imported.keys.map((key) => key.versions.length)).toEqual([1, 1]);
  });

  it('explains the format of an unusable import', async () => {
    const notKeyFile = join(parent, 'sim', 'policy.json');
    const result = await runCli([
      'kbs',
      'keys',
      'import',
      'other',
      notKeyFile,
      '--dir',
      join(parent, 'broker'),
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('KEY_FILE_INVALID');
    expect(result.stderr).toContain('import takes a file_key_management key file');
    expect(result.stderr).not.toContain('cannot be recreated');
  });

  it.each([
    ['a missing file', 'missing-keyfile', 'does not exist'],
    ['a directory', 'sim', 'is a directory'],
    ['an encrypted key file', 'salted-keyfile', 'is encrypted (OpenSSL enc format)'],
  ])('names the problem of importing %s', async (_name, file, message) => {
    await writeFile(join(parent, 'salted-keyfile'), 'Salted__0123456789abcdef');
    const result = await runCli([
      'kbs',
      'keys',
      'import',
      'other',
      join(parent, file),
      '--dir',
      join(parent, 'broker'),
      '--json',
    ]);
    expect(result.status).toBe(2);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('KEY_FILE_INVALID');
    expect(error.message).toContain(message);
  });

  it('warns when a broker listens beyond loopback', async () => {
    const result = await runCli([
      'kbs',
      'init',
      '--dir',
      join(parent, 'exposed'),
      '--listen',
      '0.0.0.0:18444',
      '--server-name',
      'kbs.example',
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('WARNING: the broker listens on every network interface');
  });

  it('shows the default Vault endpoint as host:port in help', async () => {
    const help = await runCli(['agent', '--help']);
    expect(help.stdout).toContain('(default: 127.0.0.1:8200)');
    expect(help.stdout).not.toContain('"port"');
  });
});
