import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../errors.js';
import type { ScanValue } from '../../scan/needles/needles.js';
import type { ScanProgress, ScanReport } from '../../scan/scan.js';
import type { ScanSource } from '../../scan/sources/open.js';
import { renderScanReport } from '../../report/scan.js';
import { formatBytes } from '../../scan/format.js';
import { progressBar, withInterrupt } from '../progress.js';
import type { ScanCliOptions } from './scan.js';

export { checkScanOptions } from './scan-options.js';

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

/** Collects the values of every value option, each distinct value once. */
async function collectValues(
  options: ScanCliOptions,
): Promise<{ values: ScanValue[]; duplicates: number }> {
  const inputs = await import('../../scan/needles/inputs.js');
  const values: ScanValue[] = [];
  if (options.values) appendAll(values, await inputs.readValuesFile(options.values));
  if (options.dataset) {
    const [{ readDatasetRecord }, { stateLayout }] = await Promise.all([
      import('../../local/datasets.js'),
      import('../../mariadb/layout.js'),
    ]);
    const record = await readDatasetRecord(stateLayout(options.dir), options.dataset);
    appendAll(values, inputs.bankingValues({ rows: record.rows, seed: record.seed }));
  }
  if (options.fromDb) appendAll(values, await databaseValues(options));
  return inputs.dedupeValues(values);
}

/** Exit status of a scan: 1 when a value was found, 2 when the input was incomplete, else 0. */
export function scanExitCode(report: ScanReport): number {
  if (report.summary.valuesFound > 0) return 1;
  return report.summary.complete ? 0 : 2;
}

/** A scan report as the CLI prints it: the library's report and what the CLI did to the input. */
export interface CliScanReport extends ScanReport {
  readonly input: {
    /** Values given more than once across the value options, searched once. */
    readonly duplicateValues: number;
  };
}

function showProgress(options: ScanCliOptions) {
  const bar = progressBar(
    '  scanning [{bar}] {percentage}% {scannedText} of {totalText} at {rate}/s',
    !options.quiet && !options.json,
  );
  if (!bar) return undefined;
  return {
    onProgress: (p: ScanProgress) =>
      bar.update(p.scannedBytes, p.totalBytes, {
        scannedText: formatBytes(p.scannedBytes),
        totalText: formatBytes(p.totalBytes),
        rate:
          p.elapsedSeconds > 0 ? `${(p.scannedBytes / p.elapsedSeconds / 1e9).toFixed(2)} GB` : '-',
      }),
    stop: () => bar.stop(),
  };
}

/** Runs `scan` for the CLI and renders the table unless JSON was requested. */
export async function runScan(
  paths: string[],
  options: ScanCliOptions,
): Promise<{ report: CliScanReport; exitCode: number }> {
  const { scan } = await import('../../scan/scan.js');
  const { values, duplicates } = await collectValues(options);
  const sources: ScanSource[] = [
    ...paths.map((path) => ({ path, format: options.format })),
    ...(options.pid ?? []).map((pid) => ({ pid })),
  ];

  const progress = showProgress(options);
  let report: ScanReport;
  try {
    report = await withInterrupt((signal) =>
      scan({
        sources,
        values,
        encodings: options.encodings,
        minLength: options.minLength,
        maxOffsets: options.maxOffsets,
        contextLines: options.context,
        workers: options.workers,
        redact: options.redact === true,
        // The values file would match itself.
        exclude: options.values && options.values !== '-' ? [options.values] : [],
        onProgress: progress?.onProgress,
        signal,
      }),
    );
  } finally {
    progress?.stop();
  }
  const cliReport: CliScanReport = { ...report, input: { duplicateValues: duplicates } };
  if (!options.json) {
    const text = renderScanReport(report, { redact: options.redact === true, duplicates });
    process.stdout.write(text);
  }
  return { report: cliReport, exitCode: scanExitCode(report) };
}
