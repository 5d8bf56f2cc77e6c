import { Command } from '@commander-js/extra-typings';
import { writeFile } from 'node:fs/promises';
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
    .option('--report-dir <path>', 'directory for report.html and report.json', '.')
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
      const { runDemo } = await import('../../demo/run.js');
      const controller = new AbortController();
      const onSignal = () => {
        process.stderr.write('\ninterrupted: stopping the servers...\n');
        controller.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);

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
        const paths = await writeReports(report, options.reportDir);
        if (options.json) printJson(report);
        else await printSummary(report, paths);
        if (!hardenedHolds(report)) process.exitCode = 1;
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
}

function reportStep(event: DemoStepEvent) {
  const prefix = `[${event.step}/${event.total}] ${event.title}`;
  if (event.state === 'start') process.stderr.write(`${prefix} ...\n`);
  else process.stderr.write(`${prefix}: done in ${event.seconds?.toFixed(1)} s\n`);
}

async function writeReports(report: DemoReport, dir: string) {
  const { renderDemoHtml } = await import('../../report/demo-html.js');
  const html = resolve(join(dir, 'report.html'));
  const json = resolve(join(dir, 'report.json'));
  await writeFile(html, renderDemoHtml(report), { mode: 0o600 });
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600 });
  return { html, json };
}

/** True when the hardened server kept the data protected at rest and in transit. */
function hardenedHolds(report: DemoReport): boolean {
  return report.verdicts
    .filter((v) => v.protection !== 'in use')
    .every((v) => v.status.hardened !== 'not protected');
}

async function printSummary(report: DemoReport, paths: { html: string; json: string }) {
  const { renderDemoText } = await import('../../report/demo-text.js');
  println(renderDemoText(report, createStyle()));
  println();
  println(`Full report: ${paths.html}`);
  println(`As JSON:     ${paths.json}`);
  if (report.workDir) println(`Kept:        ${report.workDir}`);
}
