import { Command, Option } from '@commander-js/extra-typings';
import { DIR_HELP, defaultStateDir, parseInteger } from '../options.js';
import { printJson, println } from '../output.js';
import { PASSWORD_ENV } from '../password.js';
import {
  DEFAULT_PORT,
  explainRefusedLogin,
  parseCheckIds,
  parseHost,
  resolveCheckTarget,
  type CheckConnectionCliOptions,
} from './check-connection.js';

/** Exit status when a check fails or could not be evaluated. */
export const EXIT_CHECK_FAILED = 1;

interface CheckCliOptions extends CheckConnectionCliOptions {
  profile: 'hardened' | 'baseline';
  only?: string[];
  list?: true;
  json?: true;
}

const AFTER_HELP = `
Without --host, --port, --user, --password-file or --ca, the local server started by
"mariadb-tdx up" in --dir is checked as its admin account, with its CA. Any of those options
checks a server by address instead (127.0.0.1 unless --host is given) and cannot be combined
with --dir.

There is no --password option, because other users can read command lines in the process list.
The password comes from --password-file, else ${PASSWORD_ENV}, else a prompt on a terminal.

The account needs these grants (REPLICA MONITOR is another name for SLAVE MONITOR):
  GRANT SELECT ON mysql.* TO 'user'@'host';
  GRANT PROCESS, SLAVE MONITOR ON *.* TO 'user'@'host';
Without SLAVE MONITOR, T08 cannot read the TLS settings of replication channels and reports
only whether replication runs.

Exit status: 0 nothing failed, 1 a check failed or ended in error, 2 the check could not run
(invalid options, server unreachable, not a MariaDB server, TLS verification failed, login
refused).`;

export function checkCommand() {
  return new Command('check')
    .description(
      'report what protects a running MariaDB server at rest and in transit, and what to change',
    )
    .option('--host <host>', 'server to check (default: the local server of --dir)', parseHost)
    .option(
      '--port <n>',
      `TCP port of the server (default ${DEFAULT_PORT}; without --host, on 127.0.0.1)`,
      parseInteger(1, 65535),
    )
    .option('--user <name>', 'account to log in as; see below for the grants it needs')
    .option(
      '--password-file <path>',
      `file whose first line is the password (else ${PASSWORD_ENV}, else a prompt)`,
    )
    .option('--ca <file>', 'PEM CA certificate that must have issued the server certificate')
    .addOption(
      new Option(
        '--insecure',
        'skip server certificate verification and mark the report unverified',
      ).conflicts('ca'),
    )
    .addOption(
      new Option('--profile <name>', 'what to judge against')
        .choices(['hardened', 'baseline'] as const)
        .default('hardened' as const),
    )
    .option('--dir <path>', DIR_HELP, defaultStateDir())
    .option(
      '--only <ids>',
      'run only these checks, comma-separated (for example T01,E07)',
      parseCheckIds,
    )
    .option('--list', 'print the catalogue of checks without connecting')
    .option('--json', 'print the report as JSON with every finding')
    .addHelpText('after', AFTER_HELP)
    .action(async (options, command) => {
      if (options.list) {
        await listCatalogue(options.json === true);
        return;
      }
      await runCheck(options, command.getOptionValueSource('dir') === 'cli');
    });
}

async function runCheck(options: CheckCliOptions, dirGiven: boolean) {
  const [{ checkPosture }, { selectChecks }, { createStyle }, { renderPostureReport }] =
    await Promise.all([
      import('../../posture/check.js'),
      import('../../posture/runner.js'),
      import('../../report/style.js'),
      import('../../report/posture.js'),
    ]);
  // Unknown check ids are reported before a password is asked for or a connection is opened.
  selectChecks(options.only);
  const target = await resolveCheckTarget(options, dirGiven);

  const report = await checkPosture({
    connection: target.connection,
    profile: options.profile,
    only: options.only,
  }).catch((error: unknown) => {
    throw explainRefusedLogin(error, target);
  });

  if (options.json) printJson(report);
  else {
    println(
      renderPostureReport(report, createStyle(), {
        columns: process.stdout.columns ?? 100,
        caFile: target.caDescription,
      }),
    );
  }
  if (!report.passed) process.exitCode = EXIT_CHECK_FAILED;
}

async function listCatalogue(json: boolean) {
  const [{ CATALOGUE }, { createStyle }, { renderCatalogue }] = await Promise.all([
    import('../../posture/catalogue/index.js'),
    import('../../report/style.js'),
    import('../../report/posture.js'),
  ]);
  if (json) {
    printJson(
      CATALOGUE.map((check) => ({
        id: check.id,
        group: check.group,
        title: check.title,
        severity: check.severity,
        sql: typeof check.sql === 'function' ? '(depends on the server version)' : check.sql,
        expected: check.expected,
        advice: check.advice,
        risk: check.risk,
        baseline: check.baseline,
        ...(check.policy ? { policy: check.policy } : {}),
      })),
    );
    return;
  }
  println(renderCatalogue(CATALOGUE, createStyle(), process.stdout.columns ?? 100));
}
