import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chmod, mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliScanReport } from '../../src/cli/commands/scan-run.js';
import type { ScanReport } from '../../src/scan/scan.js';
import { runCli, runCliInTerminal, scratchDirectory, writePlanted } from '../helpers/scan.js';

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
    expect(result.stdout).toContain(
      'Context of the hits: left out, because the report is redacted.',
    );
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

  it('exits 0 despite links, pipes and sockets', async () => {
    const tree = join(dir, 'special');
    await mkdir(tree);
    await writePlanted(join(tree, 'data.ibd'), 20_000, []);
    await symlink(join(tree, 'data.ibd'), join(tree, 'link'));
    spawnSync('mkfifo', [join(tree, 'fifo')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(tree, 'sock'), resolve));
    try {
      const result = runCli(['scan', tree, '--values', values]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('No value was found.');
      expect(result.stdout).toContain(
        'Not read by design: 1 named pipe, 1 symbolic link, 1 socket.',
      );
      expect(result.stdout).toContain(`${join(tree, 'link')}: symbolic link, not followed`);
    } finally {
      server.close();
    }
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

  it('dedupes values from standard input', async () => {
    const file = join(dir, 'stdin.bin');
    await writePlanted(file, 10_000, [['Margarethe Vinterberg', 500]]);
    const input = '\uFEFFMargarethe Vinterberg\r\nDK5000400440116243\r\nMargarethe Vinterberg\r\n';
    const result = runCli(['scan', file, '--values', '-', '--json'], { input });
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as CliScanReport;
    expect(report.values.map((v) => v.value)).toEqual([
      'Margarethe Vinterberg',
      'DK5000400440116243',
    ]);
    expect(report.values[0]!.first[0]!.offset).toBe(500);
    expect(report.input.duplicateValues).toBe(1);
  });

  it('leaves the values file out of a tree scan', async () => {
    const tree = join(dir, 'with-values');
    await mkdir(tree);
    const inside = join(tree, 'values.txt');
    await writeFile(inside, 'Margarethe Vinterberg\n');
    const result = runCli(['scan', tree, '--values', inside, '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as ScanReport;
    expect(report.excluded).toEqual([
      expect.objectContaining({ path: inside, kind: 'values file' }),
    ]);
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

  it('counts hits and lists none with --max-offsets 0', async () => {
    const file = join(dir, 'no-offsets.bin');
    await writePlanted(file, 10_000, [['Margarethe Vinterberg', 10]]);
    const result = runCli(['scan', file, '--values', values, '--max-offsets', '0']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('1 value found in plaintext:');
  });

  it('scans a path and a live process together', async () => {
    const marker = 'process-marker:Thaddeus Okonkwo-Reyes';
    const child = spawn(
      process.execPath,
      [
        '-e',
        `globalThis.v = Buffer.from(${JSON.stringify(marker)}); setInterval(() => {}, 1000); console.log('ready')`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      await new Promise((resolve) => child.stdout.once('data', resolve));
      const markerValues = join(dir, 'marker-values.txt');
      await writeFile(markerValues, `${marker}\n`);
      const file = join(dir, 'beside-process.bin');
      await writePlanted(file, 10_000, []);
      const result = runCli([
        'scan',
        file,
        '--pid',
        String(child.pid),
        '--values',
        markerValues,
        '--json',
      ]);
      expect(result.status).toBe(1);
      const report = JSON.parse(result.stdout) as ScanReport;
      expect(report.sources.map((s) => s.kind)).toEqual(['raw', 'process']);
      expect(report.values[0]!.first[0]!.source).toBe(`pid ${child.pid}`);
    } finally {
      child.kill();
    }
  });

  it.each([
    [['--host', '127.0.0.1'], '--host applies only to --from-db'],
    [['--from-db', 'db.t:c', '--ca', 'ca.pem'], '--ca applies only to a server named with --host'],
    [['--dir', '/tmp'], '--dir applies only to --dataset'],
    [['--redact', '--context', '3'], '--context has no effect with --redact'],
    [['--max-offsets', '0', '--context', '1'], '--context has no effect with --max-offsets 0'],
  ])('rejects %j, which would be ignored', (extra, message) => {
    const result = runCli(['scan', dir, '--values', values, ...extra]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('[INVALID_OPTION]');
  });

  it('rejects --format without a file', () => {
    const result = runCli([
      'scan',
      '--pid',
      String(process.pid),
      '--format',
      'elf',
      '--values',
      values,
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--format elf applies to files, and no file is named');
  });

  it.each([
    ['--max-offsets', '-1', 'from 0 to 1000'],
    ['--max-offsets', '1001', 'from 0 to 1000'],
    ['--min-length', '3', 'from 4 to 4096'],
    ['--workers', '0', 'from 1 to 256'],
    ['--context', 'two', 'from 0 to 100'],
    ['--pid', '0', 'from 1 to 4194304'],
  ])('rejects %s %s with the allowed range', (option, value, range) => {
    const result = runCli(['scan', dir, '--values', values, option, value]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`option '${option} `);
    expect(result.stderr).toContain(`argument '${value}' is invalid`);
    expect(result.stderr).toContain(`expected a whole number ${range}`);
  });

  it('documents the --min-length unit and default', () => {
    const result = runCli(['scan', '--help']);
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('(default 4 bytes, at least 4)');
  });

  it('restores the cursor after Ctrl-C', async () => {
    const sparse = join(dir, 'sparse.bin');
    const handle = await open(sparse, 'w');
    await handle.truncate(64 * 1024 ** 3);
    await handle.close();
    const result = await runCliInTerminal(
      ['scan', sparse, '--values', values, '--workers', '1'],
      'scanning [',
    );
    expect(result.status).toBe(130);
    const hidden = result.output.indexOf('\x1b[?25l');
    expect(hidden).toBeGreaterThanOrEqual(0);
    expect(result.output.indexOf('\x1b[?25h', hidden)).toBeGreaterThan(hidden);
    expect(result.output).toContain('[INTERRUPTED]');
  });

  it('restores the cursor after a scan', async () => {
    const file = join(dir, 'terminal.bin');
    await writePlanted(file, 64 * 1024 ** 2, []);
    const result = await runCliInTerminal(['scan', file, '--values', values, '--workers', '1']);
    expect(result.status).toBe(0);
    const hidden = result.output.indexOf('\x1b[?25l');
    expect(hidden).toBeGreaterThanOrEqual(0);
    expect(result.output.indexOf('\x1b[?25h', hidden)).toBeGreaterThan(hidden);
  });

  it('rejects a source list without values', () => {
    const result = runCli(['scan', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('[INVALID_OPTION]');
  });
});
