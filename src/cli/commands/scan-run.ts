import { readFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { ConfigError } from '../../errors.js';
import type { ScanValue } from '../../scan/needles/needles.js';
import type { ScanReport } from '../../scan/scan.js';
import type { ScanSource } from '../../scan/sources/open.js';
import { renderScanReport } from '../../report/scan.js';
import { formatBytes } from '../../scan/format.js';
import type { ScanCliOptions } from './scan.js';

/** Distinct values read from one server per scan are capped, to keep the matcher's memory bounded. */
const MAX_DATABASE_VALUES = 200_000;

async function readPassword(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError('FILE_UNREADABLE', `cannot read the password file ${path}`, {
      hint: 'check --password-file',
      cause: error,
    });
  }
}

async function databaseValues(options: ScanCliOptions): Promise<ScanValue[]> {
  const [{ parseColumnSpec, valuesFromDatabase }, { connect }, { connectLocal }] =
    await Promise.all([
      import('../../scan/needles/inputs.js'),
      import('../../mariadb/connection.js'),
      import('../../local/client.js'),
    ]);
  const specs = (options.fromDb ?? []).map(parseColumnSpec);
  let connection;
  if (options.host) {
    if (!options.user || !options.passwordFile) {
      throw new ConfigError('INVALID_OPTION', '--host needs --user and --password-file', {
        hint: 'or leave out --host to use the local server of --dir',
      });
    }
    connection = await connect({
      host: options.host,
      port: options.port,
      user: options.user,
      password: await readPassword(options.passwordFile),
      ca: options.ca ? await readFile(options.ca, 'utf8') : undefined,
    });
  } else {
    connection = await connectLocal(options.dir);
  }
  try {
    const values: ScanValue[] = [];
    for (const spec of specs) {
      const limit = MAX_DATABASE_VALUES - values.length;
      appendAll(values, await valuesFromDatabase(connection, spec, limit));
    }
    return values;
  } finally {
    await connection.end();
  }
}

/** Appends without spreading, which overflows the call stack beyond about 100,000 items. */
function appendAll<T>(target: T[], items: readonly T[]) {
  for (const item of items) target.push(item);
}

async function collectValues(options: ScanCliOptions): Promise<ScanValue[]> {
  const values: ScanValue[] = [];
  if (options.values) {
    const { readValuesFile } = await import('../../scan/needles/inputs.js');
    appendAll(values, await readValuesFile(options.values));
  }
  if (options.dataset) {
    const [{ bankingValues }, { readDatasetRecord }, { stateLayout }] = await Promise.all([
      import('../../scan/needles/inputs.js'),
      import('../../local/datasets.js'),
      import('../../mariadb/layout.js'),
    ]);
    const record = await readDatasetRecord(stateLayout(options.dir), options.dataset);
    appendAll(values, bankingValues({ rows: record.rows, seed: record.seed }));
  }
  if (options.fromDb) appendAll(values, await databaseValues(options));
  if (!options.values && !options.dataset && !options.fromDb) {
    throw new ConfigError('INVALID_OPTION', 'no values to search for', {
      hint: 'pass --values FILE, --dataset banking or --from-db DB.TABLE:COLUMNS',
    });
  }
  return values;
}

function progressBar(options: ScanCliOptions) {
  if (!process.stderr.isTTY || options.quiet || options.json) return undefined;
  const bar = new SingleBar({
    format: '  scanning [{bar}] {percentage}% {scannedText} of {totalText} at {rate}/s',
    stream: process.stderr,
    hideCursor: true,
    barsize: 30,
  });
  let started = false;
  return {
    update(scanned: number, total: number, seconds: number) {
      const payload = {
        scannedText: formatBytes(scanned),
        totalText: formatBytes(total),
        rate: seconds > 0 ? `${(scanned / seconds / 1e9).toFixed(2)} GB` : '-',
      };
      if (!started) bar.start(Math.max(1, total), 0, payload);
      started = true;
      bar.update(scanned, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Exit status of a scan: 1 when a value was found, 2 when the input was incomplete, else 0. */
export function scanExitCode(report: ScanReport): number {
  if (report.summary.valuesFound > 0) return 1;
  return report.summary.complete ? 0 : 2;
}

/** Runs `scan` for the CLI and renders the table unless JSON was requested. */
export async function runScan(
  paths: string[],
  options: ScanCliOptions,
): Promise<{ report: ScanReport; exitCode: number }> {
  const { scan } = await import('../../scan/scan.js');
  const values = await collectValues(options);
  const sources: ScanSource[] = [
    ...paths.map((path) => ({ path, format: options.format })),
    ...(options.pid ?? []).map((pid) => {
      if (!/^\d+$/.test(pid))
        throw new ConfigError('INVALID_OPTION', `--pid ${pid} is not a process id`);
      return { pid: Number(pid) };
    }),
  ];

  const bar = progressBar(options);
  let report: ScanReport;
  try {
    report = await scan({
      sources,
      values,
      encodings: options.encodings,
      minLength: options.minLength,
      maxOffsets: options.maxOffsets,
      contextLines: options.context,
      workers: options.workers,
      redact: options.redact === true,
      onProgress: (p) => bar?.update(p.scannedBytes, p.totalBytes, p.elapsedSeconds),
    });
  } finally {
    bar?.stop();
  }
  if (!options.json)
    process.stdout.write(renderScanReport(report, { redact: options.redact === true }));
  return { report, exitCode: scanExitCode(report) };
}
