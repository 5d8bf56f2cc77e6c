import { Command } from '@commander-js/extra-typings';
import { constants } from 'node:fs';
import { access, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAX_BANKING_ROWS } from '../../dataset/banking.js';
import type { DemoReport } from '../../demo/report.js';
import type { DemoStepEvent } from '../../demo/run.js';
import { createStyle } from '../../report/style.js';
import { parseInteger } from '../options.js';
import { printJson, println } from '../output.js';

export function demoCommand() {
  return new Command('demo')
    .description(
      'build a baseline and a hardened MariaDB, load the banking data, exercise and attack both, ' +
        "and show where the customers' data can be read",
    )
    .option(
      '--dir <path>',
      'working directory for both servers and the evidence',
      '.mariadb-tdx-demo',
    )
    .option(
      '--rows <n>',
      'generated customers besides the two fixed ones',
      parseInteger(0, MAX_BANKING_ROWS),
      3000,
    )
    .option('--seed <n>', 'seed of the data generator', parseInteger(0, 2 ** 31 - 1))
    .option(
      '--report-dir <path>',
      'directory for report.html and report.json (created if missing)',
      'mariadb-tdx-report',
    )
    .option('--keep', 'keep the working directory (servers stopped) for inspection')
    .option(
      '--redact',
      'show only a keyed fingerprint (HMAC-SHA256 prefix) and the length of each value',
    )
    .option(
      '--plain-wire',
      'load the baseline over plain TCP instead of TLS, to show what the wire then carries',
    )
    .option(
      '--workers <n>',
      'worker threads per search (default: one per CPU)',
      parseInteger(1, 256),
    )
    .option('--json', 'print the report as JSON instead of the matrix')
    .action(async (options) => {
      const { runDemo, removalCommand } = await import('../../demo/run.js');
      // Reports hold plaintext values unless --redact, so their directory is checked first.
      const { path: reportDir, created } = await prepareReportDir(options.reportDir);
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = () => {
        interrupts += 1;
        process.stderr.write(
          interrupts === 1
            ? '\ninterrupted: stopping both servers and removing the evidence...\n'
            : 'still stopping the servers; wait a moment\n',
        );
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);

      try {
        const report = await runDemo({
          dir: options.dir,
          rows: options.rows,
          seed: options.seed,
          keep: options.keep,
          redact: options.redact,
          plainWire: options.plainWire,
          workers: options.workers,
          onStep: reportStep,
          signal: controller.signal,
        });
        const paths = await writeReports(report, reportDir);
        if (options.json) printJson(report);
        else
          await printSummary(
            report,
            paths,
            report.workDir ? removalCommand(report.workDir) : undefined,
          );
        if (!hardenedHolds(report)) process.exitCode = 1;
      } catch (error) {
        // A report directory made for this run and still empty is not left behind.
        if (created) await rmdir(reportDir).catch(() => undefined);
        throw error;
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
}

/**
 * Checks the report directory before the demo runs, so a bad path costs no run. Says whether
 * this run created it.
 */
async function prepareReportDir(dir: string): Promise<{ path: string; created: boolean }> {
  const [{ makeDirectories, isErrno }, { ConfigError }] = await Promise.all([
    import('../../util/fs.js'),
    import('../../errors.js'),
  ]);
  const path = resolve(dir);
  const invalid = (problem: string, cause?: unknown) =>
    new ConfigError('INVALID_OPTION', `--report-dir ${path} ${problem}`, {
      hint: 'choose a directory you can write to, or a new path, for example --report-dir ./report',
      cause,
    });
  const existing = await stat(path).catch((error: unknown) => {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw invalid(`cannot be used: ${(error as Error).message}`, error);
  });
  if (existing && !existing.isDirectory()) throw invalid('is not a directory');
  try {
    await makeDirectories(path, 0o700);
    await access(path, constants.W_OK);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) {
      throw invalid('cannot be created: a part of the path is missing or not a directory', error);
    }
    throw invalid(`is not writable: ${(error as Error).message}`, error);
  }
  return { path, created: existing === undefined };
}

function reportStep(event: DemoStepEvent) {
  const prefix = `[${event.step}/${event.total}] ${event.title}`;
  if (event.state === 'start') process.stderr.write(`${prefix} ...\n`);
  else process.stderr.write(`${prefix}: done in ${event.seconds?.toFixed(1)} s\n`);
}

/** Writes both reports as new files of mode 0600, replacing earlier ones atomically. */
async function writeReports(report: DemoReport, dir: string) {
  const [{ renderDemoHtml }, { writeFileAtomic }] = await Promise.all([
    import('../../report/demo-html.js'),
    import('../../util/fs.js'),
  ]);
  const html = join(dir, 'report.html');
  const json = join(dir, 'report.json');
  await writeFileAtomic(html, renderDemoHtml(report), 0o600);
  await writeFileAtomic(json, `${JSON.stringify(report, null, 2)}\n`, 0o600);
  return { html, json };
}

/** True when the hardened server kept the data protected at rest and in transit. */
function hardenedHolds(report: DemoReport): boolean {
  return report.verdicts
    .filter((v) => v.protection !== 'in use')
    .every((v) => v.status.hardened !== 'not protected' && v.status.hardened !== 'not enforced');
}

async function printSummary(
  report: DemoReport,
  paths: { html: string; json: string },
  removal: string | undefined,
) {
  const { renderDemoText } = await import('../../report/demo-text.js');
  println(renderDemoText(report, createStyle()));
  println();
  println(`Full report: ${paths.html}`);
  println(`As JSON:     ${paths.json}`);
  if (report.workDir) {
    println(`Kept:        ${report.workDir} (servers stopped)`);
    println(`Remove it:   ${removal}`);
  }
}
