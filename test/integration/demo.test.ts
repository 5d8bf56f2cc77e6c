import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoReport } from '../../src/demo/report.js';
import { runDemo } from '../../src/demo/run.js';
import type { DemoProfile, MatrixRow } from '../../src/demo/matrix.js';
import type { PlaceId } from '../../src/demo/places.js';
import { renderDemoHtml } from '../../src/report/demo-html.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { pathExists } from '../../src/util/fs.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, mariadbAvailable } from '../helpers/mariadb.js';

const available = await mariadbAvailable();
const ROWS = 400;

function cell(report: DemoReport, place: PlaceId, profile: DemoProfile) {
  const row = report.matrix.find((r: MatrixRow) => r.place === place);
  if (!row) throw new Error(`no matrix row ${place}`);
  return row.cells[profile];
}

const onDisk = (report: DemoReport, place: PlaceId, profile: DemoProfile) =>
  cell(report, place, profile).valuesFound - cell(report, place, profile).valuesInRamOnly;

describe.skipIf(!available)('demo with TLS on the wire', () => {
  let parent: string;
  let report: DemoReport;

  beforeAll(async () => {
    parent = await makeTempDir();
    report = await runDemo({ dir: join(parent, 'work'), rows: ROWS });
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('finds every value in both memory dumps', () => {
    expect(cell(report, 'memory', 'baseline').valuesFound).toBe(report.valueCount);
    expect(cell(report, 'memory', 'hardened').valuesFound).toBe(report.valueCount);
  });

  it.each(['system-undo', 'temporary', 'aria-log', 'binlog'] as const)(
    'finds baseline plaintext in %s',
    (place) => {
      expect(onDisk(report, place, 'baseline')).toBeGreaterThan(0);
    },
  );

  it.each(['tables', 'system-undo', 'redo', 'temporary', 'binlog', 'aria-log'] as const)(
    'finds no hardened plaintext on disk in %s',
    (place) => {
      expect(onDisk(report, place, 'hardened')).toBe(0);
    },
  );

  it('reports hardened plaintext only as a known limit', () => {
    const limited = new Set(report.knownLimits.map((limit) => limit.place));
    const leaking = report.matrix.filter(
      (row) => row.protection === 'at rest' && onDisk(report, row.place, 'hardened') > 0,
    );
    for (const row of leaking) expect(limited.has(row.place), row.place).toBe(true);
  });

  it('finds nothing on the TLS wire', () => {
    expect(cell(report, 'wire', 'baseline').valuesFound).toBe(0);
    expect(cell(report, 'wire', 'hardened').valuesFound).toBe(0);
    expect(cell(report, 'wire', 'baseline').bytesScanned).toBeGreaterThan(100_000);
  });

  it('judges each protection per profile', () => {
    const verdict = (protection: string) =>
      report.verdicts.find((v) => v.protection === protection)!;
    expect(verdict('at rest').status.baseline).toBe('not protected');
    expect(verdict('at rest').status.hardened).not.toBe('not protected');
    expect(verdict('in transit').status.hardened).toBe('protected');
    expect(verdict('in use').status.hardened).toBe('not protected');
  });

  it('shows the hardened server rejecting Aria tables', () => {
    expect(report.servers.hardened.rejected.join(' ')).toContain('ER_OPTION_PREVENTS_STATEMENT');
    expect(report.servers.baseline.rejected).toEqual([]);
  });

  it('runs the posture check on both servers', () => {
    expect(report.checks.hardened.passed).toBe(true);
    expect(report.checks.baseline.passed).toBe(false);
  });

  it('stops both servers and removes the working directory', async () => {
    expect(await pathExists(join(parent, 'work'))).toBe(false);
  });

  it('renders the report as HTML with escaped values', () => {
    const html = renderDemoHtml(report);
    expect(html).toContain('<h2>Where the data can be read</h2>');
    expect(html).toContain('Margarethe Vinterberg');
    expect(html).not.toMatch(/<script/i);
  });
});

describe.skipIf(!available)('demo with TLS off on the baseline wire', () => {
  let parent: string;
  let report: DemoReport;

  beforeAll(async () => {
    parent = await makeTempDir();
    report = await runDemo({
      dir: join(parent, 'work'),
      rows: ROWS,
      plainWire: true,
      redact: true,
    });
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('finds every value on the plain baseline wire', () => {
    expect(cell(report, 'wire', 'baseline').valuesFound).toBe(report.valueCount);
  });

  it('keeps the hardened wire encrypted', () => {
    expect(cell(report, 'wire', 'hardened').valuesFound).toBe(0);
    expect(report.servers.hardened.wireNote).toMatch(/plain TCP rejected/);
  });

  it('leaves values out of a redacted report', () => {
    const json = JSON.stringify(report);
    expect(json).not.toContain('Margarethe Vinterberg');
    expect(json).not.toContain('GB82WEST12345698765432');
  });

  it('shows keyed fingerprints and no context when redacted', () => {
    const hits = report.evidence.flatMap((result) => result.hits);
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) {
      expect(hit.value).toMatch(/^hmac:[0-9a-f]{16} \(\d+ bytes?\)$/);
      expect(hit.context).toBe('(redacted)');
    }
    // One key for the whole run, so each value has one fingerprint in every place.
    const fingerprints = new Map<number, Set<string>>();
    for (const hit of hits) {
      fingerprints.set(
        hit.valueIndex,
        (fingerprints.get(hit.valueIndex) ?? new Set()).add(hit.value),
      );
    }
    expect([...fingerprints.values()].filter((set) => set.size > 1)).toEqual([]);
  });
});

describe.skipIf(!available)('demo interrupted and sharing directories', () => {
  let parent: string;

  beforeAll(async () => {
    parent = await makeTempDir();
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('stops both servers when interrupted after the start', async () => {
    const work = join(parent, 'interrupted');
    const controller = new AbortController();
    const run = runDemo({
      dir: work,
      rows: 20,
      signal: controller.signal,
      onStep: (event) => {
        if (event.step === 2 && event.state === 'start') controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(await pathExists(work)).toBe(false);
    for (const profile of ['baseline', 'hardened']) {
      const layout = stateLayout(join(work, profile));
      if (layout.ramTmpDir) expect(await pathExists(layout.ramTmpDir)).toBe(false);
    }
  });

  it('lets only one of two demos use a directory', async () => {
    const work = join(parent, 'shared');
    const results = await Promise.allSettled([
      runDemo({ dir: work, rows: 20 }),
      runDemo({ dir: work, rows: 20 }),
    ]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toMatchObject({ code: 'DEMO_DIR_EXISTS' });
  });

  it('empties but keeps a directory that existed before', async () => {
    const work = join(parent, 'mine');
    await mkdir(work);
    await runDemo({ dir: work, rows: 20 });
    expect(await readdir(work)).toEqual([]);
  });
});

describe.skipIf(!available)('mariadb-tdx demo command', () => {
  let parent: string;

  beforeAll(async () => {
    parent = await makeTempDir();
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('prints the matrix and writes both reports', async () => {
    const work = join(parent, 'work');
    const reports = join(parent, 'reports', 'new');
    const result = await runCli(
      ['demo', '--rows', '100', '--dir', work, '--report-dir', reports, '--keep'],
      { cwd: parent },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Verdicts');
    expect(result.stdout).toContain('report.html');
    expect(result.stderr).toContain('[7/7]');
    const json = JSON.parse(await readFile(join(reports, 'report.json'), 'utf8')) as DemoReport;
    expect(json.rows).toBe(100);
    expect((await stat(join(reports, 'report.html'))).mode & 0o777).toBe(0o600);
    expect(result.stdout).toContain('Remove it:');
    expect(await pathExists(join(work, 'hardened', 'mariadb-tdx.json'))).toBe(true);
  });

  it('refuses a report directory that is a file before running anything', async () => {
    const file = join(parent, 'a-file');
    await writeFile(file, 'not a directory\n');
    const work = join(parent, 'never-made');
    const result = await runCli(['demo', '--dir', work, '--report-dir', file, '--json'], {
      cwd: parent,
    });
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: { code: 'INVALID_OPTION', message: expect.stringContaining('is not a directory') },
    });
    expect(await pathExists(work)).toBe(false);
  });

  it('says a working directory is busy while a demo holds it', async () => {
    const busy = join(parent, 'busy');
    await mkdir(busy);
    // The test process plays a running demo, because its pid is alive.
    await writeFile(join(busy, '.demo.lock'), `${process.pid}\n`);
    const result = await runCli(['demo', '--dir', busy], { cwd: parent });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DEMO_DIR_BUSY');
    expect(result.stderr).not.toContain('rm -rf');
  });

  it('rejects a working directory that is not empty', async () => {
    const result = await runCli(['demo', '--dir', join(parent, 'work')], { cwd: parent });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DEMO_DIR_EXISTS');
  });
});
