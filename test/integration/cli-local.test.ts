import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateLayout } from '../../src/mariadb/layout.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, mariadbAvailable } from '../helpers/mariadb.js';

const available = await mariadbAvailable();

describe('mariadb-tdx command line', () => {
  it('prints help with exit status 0', async () => {
    const result = await runCli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('up [options]');
  });

  it('rejects an unknown command with exit status 2', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command');
  });

  it('rejects a non-numeric port with exit status 2', async () => {
    const result = await runCli(['up', '--port', 'abc']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--port');
  });
});

describe.skipIf(!available)('mariadb-tdx up, load, status and down', () => {
  let parent: string;
  let dir: string;
  let password: string;

  beforeAll(async () => {
    parent = await makeTempDir();
    dir = join(parent, 'state');
  });
  afterAll(async () => {
    await runCli(['down', '--dir', dir, '--purge', '--yes']);
    await rm(parent, { recursive: true, force: true });
  });

  it('starts a server and prints how to connect', async () => {
    const result = await runCli(['up', '--dir', dir]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('hardened profile');
    expect(result.stdout).toContain(`mariadb --defaults-file=${join(dir, 'client.cnf')}`);
    expect(result.stderr).toContain('comparing key check values');
    password = (await readFile(stateLayout(dir).adminPasswordFile, 'utf8')).trim();
    expect(result.stdout).not.toContain(password);
  });

  it('loads the banking data and lists its values', async () => {
    const load = await runCli(['load', 'banking', '--dir', dir, '--rows', '25', '--json']);
    expect(load.status).toBe(0);
    expect(JSON.parse(load.stdout)).toMatchObject({ individuals: 27, rows: 25 });

    const list = await runCli(['load', 'banking', '--dir', dir, '--list']);
    expect(list.status).toBe(0);
    expect(list.stdout.split('\n')).toContain('Margarethe Vinterberg');
  });

  it('refuses to load twice without --replace, without a stack trace', async () => {
    const result = await runCli(['load', 'banking', '--dir', dir, '--rows', '5']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DATASET_EXISTS');
    expect(result.stderr).toContain('--replace');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports status as JSON', async () => {
    const result = await runCli(['status', '--dir', dir, '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      running: boolean;
      tls: { sessionCipher: string };
    };
    expect(report.running).toBe(true);
    expect(report.tls.sessionCipher).not.toBe('');
    expect(result.stdout).not.toContain(password);
  });

  it('refuses --yes without --purge and leaves the server running', async () => {
    const result = await runCli(['down', '--dir', dir, '--yes', '--json']);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'INVALID_OPTION' } });
    expect((await runCli(['status', '--dir', dir])).stdout).not.toContain('not running');
  });

  it('stops the server and then reports it stopped', async () => {
    const stop = await runCli(['down', '--dir', dir]);
    expect(stop.status).toBe(0);
    expect(stop.stdout).toMatch(/stopped mariadbd \(pid \d+\)/);

    const after = await runCli(['status', '--dir', dir]);
    expect(after.status).toBe(0);
    expect(after.stdout).toContain('not running');
  });

  it('explains a tampered key file with exit status 2', async () => {
    const layout = stateLayout(dir);
    const { writeFile } = await import('node:fs/promises');
    const original = await readFile(layout.keyFile, 'utf8');
    const key = original.split('\n')[1]!.split(';')[1]!;
    await writeFile(layout.keyFile, original.replace(/^2;.*$/m, `2;${'0'.repeat(64)}`));
    try {
      const result = await runCli(['up', '--dir', dir]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('KEY_CHECK_MISMATCH');
      expect(result.stderr).not.toContain(key);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await writeFile(layout.keyFile, original);
    }
  });
});
