import {
  chmod,
  chown,
  mkdir,
  readFile,
  readdir,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocal } from '../../src/local/client.js';
import { down } from '../../src/local/down.js';
import { readManifest } from '../../src/local/manifest.js';
import { status } from '../../src/local/status.js';
import { up } from '../../src/local/up.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { readServerPid } from '../../src/mariadb/server.js';
import { pathExists } from '../../src/util/fs.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, mariadbAvailable } from '../helpers/mariadb.js';

const available = await mariadbAvailable();

describe.skipIf(!available)('up with unusable paths', () => {
  let parent: string;

  beforeAll(async () => {
    parent = await makeTempDir();
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it.each([
    ['a space', 'my dir'],
    ['a hash sign', 'h#sh'],
    ['a quote', "it's"],
    ['a semicolon', 'a;b'],
  ])('rejects a --dir with %s and creates nothing', async (_name, name) => {
    const dir = join(parent, name);
    await expect(up({ dir })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(await pathExists(dir)).toBe(false);
  });

  it('rejects a --dir longer than MariaDB reads', async () => {
    const dir = join(parent, 'y'.repeat(120), 'y'.repeat(120), 'y'.repeat(120), 'y'.repeat(120));
    await expect(up({ dir })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(await pathExists(join(parent, 'y'.repeat(120)))).toBe(false);
  });

  it('rejects a --dir that is a file', async () => {
    const file = join(parent, 'a-file');
    await writeFile(file, 'x');
    await expect(up({ dir: file })).rejects.toMatchObject({ code: 'STATE_DIR_NOT_DIRECTORY' });
  });

  it('rejects a --filekey path with a space', async () => {
    const dir = join(parent, 'fk');
    await expect(up({ dir, filekeyPath: join(parent, 'pass phrase') })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });

  it('resumes a first start interrupted during install', async () => {
    const dir = join(parent, 'resumed');
    const controller = new AbortController();
    const first = up({
      dir,
      signal: controller.signal,
      onStep: (step) => {
        if (step.startsWith('creating the encrypted system tables')) controller.abort();
      },
    });
    await expect(first).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect((await readManifest(stateLayout(dir))).initialized).toBe(false);

    const again = await up({ dir });
    try {
      expect(again.created).toBe(false);
      expect((await readManifest(stateLayout(dir))).initialized).toBe(true);
    } finally {
      await down({ dir, purge: true, yes: true });
    }
  });

  it('stops before anything exists when interrupted', async () => {
    const dir = join(parent, 'interrupted');
    const controller = new AbortController();
    controller.abort();
    await expect(up({ dir, signal: controller.signal })).rejects.toMatchObject({
      code: 'INTERRUPTED',
    });
  });
});

describe.skipIf(!available)('up and down on one state directory', () => {
  let parent: string;
  let dir: string;

  beforeAll(async () => {
    parent = await makeTempDir();
    dir = join(parent, 'state');
  });
  afterAll(async () => {
    await down({ dir, purge: true, yes: true }).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
  });

  it('lets only one of two concurrent starts work on a new directory', async () => {
    const results = await Promise.allSettled([up({ dir }), up({ dir })]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'STATE_DIR_BUSY',
    });
  });

  it('finds its server after the pid file is gone', async () => {
    const layout = stateLayout(dir);
    const pid = await readServerPid(layout);
    expect(pid).toBeDefined();
    await unlink(layout.pidFile);
    expect(await readServerPid(layout)).toBe(pid);
    expect((await status({ dir })).running).toBe(true);
  });

  it('rejects moving a running server to another port', async () => {
    const info = await up({ dir });
    await expect(up({ dir, port: info.port === 65000 ? 65001 : 65000 })).rejects.toMatchObject({
      code: 'ALREADY_RUNNING',
    });
  });

  it('stops the server found without a pid file', async () => {
    const result = await down({ dir });
    expect(result.stoppedPid).toBeDefined();
    expect(await readServerPid(stateLayout(dir))).toBeUndefined();
  });

  it('shows what this start logged when mariadbd fails', async () => {
    const layout = stateLayout(dir);
    await writeFile(layout.extraOptionFile, '[mariadbd]\ninnodb_page_size = 12345\n');
    try {
      const error = (await up({ dir }).catch((e: unknown) => e)) as {
        code: string;
        message: string;
      };
      expect(error.code).toBe('START_FAILED');
      expect(error.message).toMatch(/innodb[-_]page[-_]size|12345/i);
      expect(error.message).not.toMatch(/Shutdown complete/);
    } finally {
      await writeFile(layout.extraOptionFile, '[mariadbd]\n');
    }
    expect(await readServerPid(layout)).toBeUndefined();
  });

  it('rejects a RAM tmpdir that another user prepared', async () => {
    const layout = stateLayout(dir);
    if (!layout.ramTmpDir || process.getuid?.() !== 0) return;
    await rm(layout.ramTmpDir, { recursive: true, force: true });
    await mkdir(layout.ramTmpDir, { mode: 0o777 });
    await chown(layout.ramTmpDir, 65534, 65534);
    try {
      await expect(up({ dir })).rejects.toMatchObject({ code: 'UNSAFE_PERMISSIONS' });
    } finally {
      await rm(layout.ramTmpDir, { recursive: true, force: true });
    }
  });

  it('hints chmod for a loose mode', async () => {
    const layout = stateLayout(dir);
    await chmod(layout.root, 0o755);
    try {
      await expect(up({ dir })).rejects.toMatchObject({
        code: 'UNSAFE_PERMISSIONS',
        hint: `chmod 700 ${layout.root}`,
      });
      expect(existsSync(layout.keyFile)).toBe(true);
    } finally {
      await chmod(layout.root, 0o700);
    }
  });

  it('rejects a RAM tmpdir that is a symbolic link', async () => {
    const layout = stateLayout(dir);
    if (!layout.ramTmpDir) return;
    const target = join(parent, 'elsewhere');
    await mkdir(target, { recursive: true, mode: 0o700 });
    await rm(layout.ramTmpDir, { recursive: true, force: true });
    await symlink(target, layout.ramTmpDir);
    try {
      await expect(up({ dir })).rejects.toMatchObject({ code: 'UNSAFE_PERMISSIONS' });
      expect(await readdir(target)).toEqual([]);
    } finally {
      await rm(layout.ramTmpDir, { force: true });
    }
  });

  it('serves a server bound to ::1 through its own clients', async () => {
    const v6 = join(parent, 'ipv6');
    try {
      const info = await up({ dir: v6, bindAddress: '::1' });
      expect(info.host).toBe('::1');
      const connection = await connectLocal(v6);
      await connection.end();
      expect(await readFile(stateLayout(v6).clientOptionFile, 'utf8')).toContain('host = ::1');
    } finally {
      await down({ dir: v6, purge: true, yes: true }).catch(() => undefined);
    }
  });

  it.each(['garbage', '10.99.99.99', '127.0.0.1\ngeneral_log=ON'])(
    'rejects bind address %j before creating anything',
    async (bindAddress) => {
      const bad = join(parent, 'bad-bind');
      await expect(up({ dir: bad, bindAddress })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
      });
      expect(await pathExists(bad)).toBe(false);
    },
  );

  it('restarts a baseline directory from the CLI without --profile', async () => {
    const baseline = join(parent, 'baseline');
    const first = await runCli(['up', '--dir', baseline, '--profile', 'baseline', '--quiet']);
    expect(first.status).toBe(0);
    expect((await runCli(['down', '--dir', baseline])).status).toBe(0);
    const again = await runCli(['up', '--dir', baseline, '--quiet']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('baseline profile');
    await down({ dir: baseline, purge: true, yes: true });
  });
});

describe('mariadb-tdx command line errors', () => {
  it('rejects a password argument without echoing it', async () => {
    const result = await runCli(['check', '--password=S3cretValue']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PASSWORD_ON_COMMAND_LINE');
    expect(result.stderr).not.toContain('S3cretValue');
  });

  it('reports a file system error without a stack trace', async () => {
    const result = await runCli(['up', '--dir', '/proc/mariadb-tdx-test/state']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr).not.toContain('internal error');
  });

  it('prints an error as JSON with --json', async () => {
    const result = await runCli(['status', '--dir', '/nonexistent/state', '--json']);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'STATE_DIR_MISSING' } });
  });
});
