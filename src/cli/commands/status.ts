import { Command } from '@commander-js/extra-typings';
import type { StatusReport } from '../../local/status.js';
import { renderPairs } from '../../report/table.js';
import { createStyle } from '../../report/style.js';
import { DIR_HELP, defaultStateDir } from '../options.js';
import { printJson, println } from '../output.js';

export function statusCommand() {
  return new Command('status')
    .description('show whether the local server runs and how its data is protected')
    .option('--dir <path>', DIR_HELP, defaultStateDir())
    .option('--json', 'print the result as JSON')
    .action(async (options) => {
      const { status } = await import('../../local/status.js');
      const report = await status({ dir: options.dir });
      if (options.json) printJson(report);
      else printStatus(report);
      // A problem (a server that does not respond, a dead key agent) fails scripts and monitors.
      if (report.problem) process.exitCode = 1;
    });
}

function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined) return 'unknown';
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const parts = [
    days ? `${days}d` : '',
    hours ? `${hours}h` : '',
    `${minutes}m`,
    `${seconds % 60}s`,
  ];
  return parts.filter(Boolean).join(' ');
}

/** One-line summary of encryption at rest. */
export function encryptionLine(report: StatusReport): string {
  const e = report.encryption;
  if (!e) return report.running ? 'unknown (the server did not answer)' : 'unknown (not running)';
  const covered = [
    `InnoDB tables ${e.innodbTables}`,
    e.redoLog ? 'redo log' : '',
    e.temporaryTables ? 'temporary tables' : '',
    e.temporaryFiles ? 'temporary files' : '',
    e.binlog ? 'binlog' : '',
    e.aria ? 'Aria' : '',
  ].filter(Boolean);
  const gaps =
    e.unencryptedTablespaces > 0 ? `; ${e.unencryptedTablespaces} tablespaces NOT encrypted` : '';
  return `${covered.join(', ')} (${e.keyManagement})${gaps}`;
}

/** One-line summary of transport security. */
export function tlsLine(report: StatusReport): string {
  const t = report.tls;
  if (!t) return report.running ? 'unknown (the server did not answer)' : 'unknown (not running)';
  const required = t.required ? 'required' : 'optional (plain TCP allowed)';
  return `${required}, ${t.versions}; this session ${t.sessionCipher || 'NOT encrypted'}`;
}

function printStatus(report: StatusReport) {
  const style = createStyle();
  println(
    report.running
      ? style.ok(`running (pid ${report.pid}) on 127.0.0.1:${report.port}`)
      : style.warn(`not running; recorded port ${report.port}`),
  );
  const pairs: [string, string][] = [
    ['state directory', report.dir],
    ['profile', report.profile],
  ];
  if (report.running) {
    pairs.push(
      ['version', report.version ?? 'unknown'],
      ['uptime', formatUptime(report.uptimeSeconds)],
      ['at rest', encryptionLine(report)],
      ['in transit', tlsLine(report)],
    );
  }
  if (report.agent) {
    const agent = report.agent;
    pairs.push([
      'key agent',
      agent.running
        ? `running (pid ${agent.pid}) at ${agent.url ?? 'an unknown URL'}; log ${agent.logFile}`
        : `NOT running; log ${agent.logFile}`,
    ]);
  }
  println(renderPairs(pairs));
  if (report.problem) println(style.fail(`  problem: ${report.problem}`));
  println();
  for (const note of report.notes) println(style.warn(`note: ${note}`));
}
