import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, truncateSync } from 'node:fs';
import {
  chmod,
  copyFile,
  readdir,
  readFile,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpProcess } from '../../src/scan/dump/dump.js';
import { scan, type ScanReport } from '../../src/scan/scan.js';
import { CLI_PATH } from '../helpers/cli.js';
import { dumpGuestMemory, qemuAvailable } from '../helpers/qemu.js';
import { runCli, scratchDirectory } from '../helpers/scan.js';

const hasQemu = await qemuAvailable();
const SECRET = 'Margarethe Vinterberg';
// Below the middle of the 64 MiB guest, so that a dump cut in half still contains it.
const ADDRESS = 0x1234000;
const OFFSET_IN_PAGE = 0x1f0;

describe.skipIf(!hasQemu)('scan of QEMU guest memory dumps', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  let dumps: Record<string, string>;

  let valuesFile: string;

  /** Copies `source` and cuts the copy to `fraction` of its size. */
  async function truncatedCopy(source: string, name: string, fraction: number) {
    const copy = join(dir, name);
    await copyFile(source, copy);
    await chmod(copy, 0o600);
    await truncate(copy, Math.floor((await stat(copy)).size * fraction));
    return copy;
  }

  beforeAll(async () => {
    ({ dir, dispose } = await scratchDirectory());
    valuesFile = join(dir, 'values.txt');
    await writeFile(valuesFile, `${SECRET}\n`);
    const data = randomBytes(3 * 4096);
    Buffer.from(SECRET).copy(data, OFFSET_IN_PAGE);
    // A second copy straddles a page border, which kdump stores as two separate pages.
    Buffer.from(SECRET).copy(data, 2 * 4096 - 7);
    dumps = await dumpGuestMemory(dir, data, ADDRESS, ['elf', 'kdump-zlib']);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('maps an ELF hit to its guest physical address', async () => {
    const report = await scan({ sources: [dumps.elf!], values: [{ value: SECRET }] });
    const addresses = report.values[0]!.first.map((hit) => hit.address);
    expect(addresses).toEqual([
      `0x${(ADDRESS + OFFSET_IN_PAGE).toString(16)}`,
      `0x${(ADDRESS + 2 * 4096 - 7).toString(16)}`,
    ]);
    expect(report.values[0]!.first[0]!.addressSpace).toBe('physical');
    expect(report.sources[0]!.kind).toBe('elf');
  });

  it('maps a kdump-zlib hit to the same address', async () => {
    const report = await scan({ sources: [dumps['kdump-zlib']!], values: [{ value: SECRET }] });
    expect(report.sources[0]).toMatchObject({ kind: 'kdump' });
    expect(report.sources[0]!.detail).toContain('zlib');
    expect(report.values[0]!.first.map((hit) => hit.address)).toEqual([
      `0x${(ADDRESS + OFFSET_IN_PAGE).toString(16)}`,
      `0x${(ADDRESS + 2 * 4096 - 7).toString(16)}`,
    ]);
  });

  it('reports a truncated ELF dump with what was read and scanned', async () => {
    const copy = join(dir, 'truncated.elf');
    spawnSync('cp', [dumps.elf!, copy]);
    await chmod(copy, 0o600);
    // Cut the file inside the big RAM segment, after the planted bytes.
    const { size } = await stat(copy);
    await truncate(copy, Math.floor(size / 2));
    const report = await scan({ sources: [copy], values: [{ value: SECRET }] });
    expect(report.summary.complete).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.code).toBe('ELF_TRUNCATED');
    expect(report.problems[0]!.message).toMatch(/MiB read of the .* MiB/);
    expect(report.problems[0]!.message).toMatch(/PT_LOAD \d+ .* is missing/);
    expect(report.values[0]!.found).toBe(true);
    expect(report.summary.bytesScanned).toBeLessThanOrEqual(Math.floor(size / 2));
  });

  it('scans a truncated kdump up to its cut', async () => {
    const copy = await truncatedCopy(dumps['kdump-zlib']!, 'cut-late.kdump', 0.9);
    const result = runCli(['scan', copy, '--values', valuesFile, '--json']);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as ScanReport;
    expect(report.values[0]!.first[0]!.address).toBe(
      `0x${(ADDRESS + OFFSET_IN_PAGE).toString(16)}`,
    );
    expect(report.summary.complete).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.code).toBe('KDUMP_TRUNCATED');
    expect(report.problems[0]!.message).toMatch(
      /is truncated: the flattened record at byte \d+ has \d+ of its \d+ bytes; \d+ of \d+ dumped pages were read and scanned/,
    );
  });

  it('exits 2 for a clean truncated kdump', async () => {
    const copy = await truncatedCopy(dumps['kdump-zlib']!, 'cut-early.kdump', 0.1);
    const result = runCli(['scan', copy, '--values', valuesFile]);
    expect(result.status).toBe(2);
    expect(result.stdout).toContain('1 value, 0 found, 1 not found.');
    expect(result.stdout).toMatch(/incomplete: .* is truncated: .*page bitmap stops at page frame/);
    expect(result.stdout).toContain('[KDUMP_TRUNCATED]');
    expect(result.stdout).toContain('the absence of hits is not proven');
  });

  it('rejects an ELF file cut inside its program headers', async () => {
    const copy = join(dir, 'headers.elf');
    spawnSync('cp', [dumps.elf!, copy]);
    await chmod(copy, 0o600);
    await truncate(copy, 100);
    await expect(scan({ sources: [copy], values: [{ value: SECRET }] })).rejects.toMatchObject({
      code: 'ELF_TRUNCATED',
    });
  });
});

describe('process dumps', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  let child: ReturnType<typeof spawn>;
  const marker = 'held-in-memory:Thaddeus Okonkwo-Reyes';

  beforeAll(async () => {
    ({ dir, dispose } = await scratchDirectory());
    child = spawn(
      process.execPath,
      [
        '-e',
        `globalThis.v = Buffer.from(${JSON.stringify(marker)}); setInterval(() => {}, 1000); console.log('ready')`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    await new Promise((resolve) => child.stdout!.once('data', resolve));
  });
  afterAll(async () => {
    child?.kill();
    await dispose?.();
  });

  it('writes a core that readelf, gdb and scan read', async () => {
    const output = join(dir, 'node.core');
    const result = await dumpProcess({ pid: child.pid!, output });
    expect(result.threads).toBeGreaterThan(1);

    const readelf = spawnSync('readelf', ['-h', '-l', output], { encoding: 'utf8' });
    expect(readelf.status).toBe(0);
    expect(readelf.stdout).toMatch(/Type:\s+CORE/);
    expect(readelf.stdout).toContain('LOAD');

    expect((await stat(output)).mode & 0o777).toBe(0o600);

    const report = await scan({ sources: [output], values: [{ value: marker }] });
    const hit = report.values[0]!.first[0]!;
    expect(hit.addressSpace).toBe('virtual');

    const gdb = spawnSync('gdb', ['-batch', '-nx', '-c', output, '-ex', `x/s ${hit.address}`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(gdb.stdout).toContain(marker);
  });

  it('rejects a symbolic link as output, even with --force', async () => {
    const target = join(dir, 'link-target');
    await writeFile(target, 'untouched');
    const link = join(dir, 'link.core');
    await symlink(target, link);
    const result = runCli(['dump', '--pid', String(child.pid), '-o', link, '--force']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`error: ${link} is a symbolic link`);
    expect(result.stderr).toContain('[OUTPUT_UNSUPPORTED]');
    expect(await readFile(target, 'utf8')).toBe('untouched');
  });

  it('replaces an existing core only with --force', async () => {
    const output = join(dir, 'existing.core');
    await writeFile(output, 'old');
    const kept = runCli(['dump', '--pid', String(child.pid), '-o', output]);
    expect(kept.status).toBe(2);
    expect(kept.stderr).toContain(`error: ${output} already exists [OUTPUT_EXISTS]`);
    expect(await readFile(output, 'utf8')).toBe('old');

    const replaced = runCli([
      'dump',
      '--pid',
      String(child.pid),
      '-o',
      output,
      '--force',
      '--json',
    ]);
    expect(replaced.status).toBe(0);
    const result = JSON.parse(replaced.stdout) as { fileBytes: number };
    const stats = await stat(output);
    expect(stats.size).toBe(result.fileBytes);
    expect(stats.mode & 0o777).toBe(0o600);
  });

  it('rejects /dev/full as output', () => {
    const result = runCli(['dump', '--pid', String(child.pid), '-o', '/dev/full']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error: /dev/full is not a regular file');
    expect(result.stderr).toContain('[OUTPUT_UNSUPPORTED]');
    expect(result.stderr).toContain('choose a path for a new file');
  });

  it('reports a process exit once', async () => {
    const doomed = await startHolder(256);
    let killed = false;
    const report = await scan({
      sources: [{ pid: doomed.pid! }],
      values: [{ value: marker }],
      chunkBytes: 1 << 20,
      workers: 1,
      onProgress: () => {
        if (killed) return;
        killed = true;
        doomed.kill('SIGKILL');
      },
    });
    expect(killed).toBe(true);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.code).toBe('PROCESS_EXITED');
    expect(report.problems[0]!.message).toMatch(
      new RegExp(
        `^process ${doomed.pid} exited during the scan; \\d+ of \\d+ mappings were not read in full`,
      ),
    );
  });

  it('reports a shrinking ELF file once', async () => {
    const output = join(dir, 'shrinking.core');
    await dumpProcess({ pid: child.pid!, output });
    let cut = false;
    const report = await scan({
      sources: [output],
      values: [{ value: marker }],
      chunkBytes: 1 << 16,
      workers: 1,
      onProgress: () => {
        if (cut) return;
        cut = true;
        truncateSync(output, 64 * 1024);
      },
    });
    expect(cut).toBe(true);
    expect(report.sources[0]!.regions).toBeGreaterThan(10);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.code).toBe('ELF_TRUNCATED');
    expect(report.problems[0]!.message).toMatch(
      /ended during the scan at .*; .* were not scanned$/,
    );
  });

  it('keeps the message of a core cut early short, listing the first segments', async () => {
    const output = join(dir, 'cut-early.core');
    await dumpProcess({ pid: child.pid!, output });
    truncateSync(output, 64 * 1024);
    const report = await scan({ sources: [output], values: [{ value: marker }] });
    expect(report.problems).toHaveLength(1);
    const { message } = report.problems[0]!;
    expect(message.match(/PT_LOAD \d+ \(/g)).toHaveLength(3);
    expect(message).toMatch(/; \d+ more PT_LOAD segments are missing or cut;/);
    expect(message.length).toBeLessThan(800);
  });

  it('finds the value in the live process at the same kind of address', async () => {
    const report = await scan({ sources: [{ pid: child.pid! }], values: [{ value: marker }] });
    expect(report.values[0]!.found).toBe(true);
    expect(report.values[0]!.first[0]!.address).toMatch(/^0x[0-9a-f]+$/);
    expect(report.sources[0]!.kind).toBe('process');
  });

  it('reports a missing process', async () => {
    await expect(
      scan({ sources: [{ pid: 2 ** 22 + 1 }], values: [{ value: marker }] }),
    ).rejects.toMatchObject({ code: 'PROCESS_NOT_FOUND' });
  });
});

/** State letter of a process from /proc/PID/stat, such as S (sleeping) or T (stopped). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Starts a node process with `mebibytes` of non-zero memory and waits until it is ready. */
async function startHolder(mebibytes: number) {
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `globalThis.b = Buffer.alloc(${mebibytes} * 1024 * 1024, 0x41); setInterval(() => {}, 1000); console.log('ready')`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  return holder;
}

describe('dump --freeze', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  let holder: ReturnType<typeof spawn>;

  beforeAll(async () => {
    ({ dir, dispose } = await scratchDirectory());
    holder = await startHolder(1024);
  });
  afterAll(async () => {
    holder?.kill('SIGKILL');
    await dispose?.();
  });

  /** Runs a frozen dump and sends `signal` to it as soon as the process is stopped. */
  async function interruptFrozenDump(signal: NodeJS.Signals, output: string) {
    const dumper = spawn(
      process.execPath,
      [CLI_PATH, 'dump', '--pid', String(holder.pid), '-o', output, '--freeze'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    dumper.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const closed = new Promise<number | null>((resolve) => dumper.on('close', resolve));
    let stopped = false;
    while (dumper.exitCode === null && !stopped) {
      stopped = processState(holder.pid!) === 'T';
      if (!stopped) await sleep(1);
    }
    if (stopped) dumper.kill(signal);
    return { stopped, status: await closed, stderr };
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('continues the process after %s', async (signal) => {
    const output = join(dir, `${signal}.core`);
    const result = await interruptFrozenDump(signal, output);
    expect(result.stopped).toBe(true);
    expect(result.status).toBe(130);
    expect(result.stderr).toContain(`${output} was not written [INTERRUPTED]`);
    expect(processState(holder.pid!)).not.toBe('T');
    expect(await readdir(dir)).toEqual([]);
  });

  it('continues the process after a write error', async () => {
    const output = join(dir, 'limited.core');
    // RLIMIT_FSIZE makes writes past 10,000 blocks fail with EFBIG in the middle of the copy.
    const command = `ulimit -f 10000 && exec "$0" "$@"`;
    const result = spawnSync(
      'sh',
      [
        '-c',
        command,
        process.execPath,
        CLI_PATH,
        'dump',
        '--pid',
        String(holder.pid),
        '-o',
        output,
        '--freeze',
      ],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `error: writing ${output} failed: the file size limit was reached`,
    );
    expect(result.stderr).toContain('[OUTPUT_FAILED]');
    expect(processState(holder.pid!)).not.toBe('T');
    expect(await readdir(dir)).toEqual([]);
  });
});
