import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanReport } from '../../src/scan/scan.js';
import { runCli, scratchDirectory, writePlanted } from '../helpers/scan.js';

const NOBODY = 65534;

describe('mariadb-tdx scan', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  let values: string;

  beforeAll(async () => {
    ({ dir, dispose } = await scratchDirectory());
    await chmod(dir, 0o755);
    values = join(dir, 'values.txt');
    await writeFile(values, 'Margarethe Vinterberg\nDK5000400440116243\n', { mode: 0o644 });
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('exits 1 with the hit in JSON when a value is found', async () => {
    const file = join(dir, 'found.bin');
    await writePlanted(file, 100_000, [['DK5000400440116243', 4242]]);
    const result = runCli(['scan', file, '--values', values, '--json']);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as ScanReport;
    expect(report.values.find((v) => v.value === 'DK5000400440116243')?.first[0]?.offset).toBe(
      4242,
    );
  });

  it('exits 0 when no value is found', async () => {
    const file = join(dir, 'clean.bin');
    await writePlanted(file, 100_000, []);
    const result = runCli(['scan', file, '--values', values]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('No value was found.');
  });

  it('exits 2 with a typed error for a missing source', () => {
    const result = runCli(['scan', join(dir, 'missing.bin'), '--values', values]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('[SOURCE_NOT_FOUND]');
  });

  it('prints no value with --redact', async () => {
    const file = join(dir, 'redacted.bin');
    await writePlanted(file, 10_000, [['Margarethe Vinterberg', 10]]);
    const result = runCli(['scan', file, '--values', values, '--redact']);
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain('Margarethe');
    expect(result.stdout).toMatch(/hmac:[0-9a-f]{16} \(21 bytes\)/);
  });

  it('prints a redacted report as JSON', async () => {
    const file = join(dir, 'redacted-json.bin');
    await writePlanted(file, 10_000, [['Margarethe Vinterberg', 10]]);
    const result = runCli(['scan', file, '--values', values, '--redact', '--json']);
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain('Margarethe');
    const report = JSON.parse(result.stdout) as ScanReport;
    expect(report.values[0]!.hash).toMatch(/^hmac:[0-9a-f]{16}$/);
    expect(report.values[0]!.first[0]!.context).toBeUndefined();
  });

  it('reports unreadable entries of a directory and scans the rest', async () => {
    const tree = join(dir, 'tree');
    await mkdir(join(tree, 'sub'), { recursive: true, mode: 0o755 });
    await chmod(tree, 0o755);
    await writePlanted(join(tree, 'sub', 'visible.ibd'), 50_000, [['Margarethe Vinterberg', 1234]]);
    await chmod(join(tree, 'sub', 'visible.ibd'), 0o644);
    await writeFile(join(tree, 'secret.ibd'), 'Margarethe Vinterberg', { mode: 0o000 });
    await symlink(join(tree, 'gone'), join(tree, 'dangling'));
    spawnSync('mkfifo', [join(tree, 'fifo')]);

    // Root can read every file, so the scan runs as the unprivileged user 65534 to meet EACCES.
    const asNobody = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
    const result = runCli(['scan', tree, '--values', values, '--json'], asNobody);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as ScanReport;
    const entries = (list: readonly { path?: string | undefined }[], field: string) =>
      Object.fromEntries(
        list.map((e) => [e.path!.slice(tree.length + 1), (e as Record<string, unknown>)[field]]),
      );
    expect(entries(report.skipped, 'code')).toEqual({ 'secret.ibd': 'EACCES' });
    expect(entries(report.excluded, 'kind')).toEqual({
      dangling: 'symbolic link',
      fifo: 'named pipe',
    });
    expect(report.values[0]!.first[0]).toMatchObject({
      path: join(tree, 'sub', 'visible.ibd'),
      offset: 1234,
    });
    expect(report.summary.complete).toBe(false);
  });

  it('reads /proc/self/environ, whose size is 0', () => {
    const secret = 'environment-secret-4711';
    const environValues = join(dir, 'environ-values.txt');
    writeFileSync(environValues, `${secret}\n`);
    const result = runCli(['scan', '/proc/self/environ', '--values', environValues, '--json'], {
      env: { ...process.env, SCAN_TEST_SECRET: secret },
    });
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as ScanReport;
    expect(report.values[0]!.first[0]!.context?.match).toBe(`SCAN_TEST_SECRET=${secret}`);
  });

  it('reads size-0 files inside /proc/PID', async () => {
    const secret = 'environment-secret-0815';
    const environValues = join(dir, 'proc-values.txt');
    await writeFile(environValues, `${secret}\n`);
    const sleeper = spawn('sleep', ['60'], { env: { ...process.env, SCAN_TEST_SECRET: secret } });
    try {
      const result = runCli(['scan', `/proc/${sleeper.pid}`, '--values', environValues, '--json']);
      expect(result.status).toBe(1);
      const report = JSON.parse(result.stdout) as ScanReport;
      expect(report.values[0]!.first[0]!.path).toBe(`/proc/${sleeper.pid}/environ`);
    } finally {
      sleeper.kill();
    }
  });

  it('names a loop of symbolic links', async () => {
    await symlink(join(dir, 'loop-b'), join(dir, 'loop-a'));
    await symlink(join(dir, 'loop-a'), join(dir, 'loop-b'));
    const result = runCli(['scan', join(dir, 'loop-a'), '--values', values]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${join(dir, 'loop-a')} is a loop of symbolic links`);
    expect(result.stderr).toContain('[SOURCE_UNREADABLE]');
  });

  it('reads a values file of 130,000 lines', async () => {
    const many = join(dir, 'many-values.txt');
    const name = (i: number) => `account-${i.toString().padStart(7, '0')}`;
    await writeFile(many, Array.from({ length: 130_000 }, (_, i) => `${name(i)}\n`).join(''));
    const file = join(dir, 'many.bin');
    await writePlanted(file, 10_000, [[name(129_999), 700]]);
    const result = runCli(['scan', file, '--values', many]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('130000 values, 1 found, 129999 not found.');
    expect(result.stdout).toContain(`${name(129_999)} │`);
  });

  it('rejects a source list without values', () => {
    const result = runCli(['scan', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('[INVALID_OPTION]');
  });
});
