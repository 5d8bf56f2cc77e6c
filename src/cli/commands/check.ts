import { Command, Option } from '@commander-js/extra-typings';
import { ConfigError } from '../../errors.js';
import type { ConnectionOptions } from '../../mariadb/connection.js';
import { readInputFile } from '../files.js';
import { DIR_HELP, defaultStateDir, parseInteger } from '../options.js';
import { printJson, println } from '../output.js';
import { PASSWORD_ENV, resolvePassword } from '../password.js';

/** Exit status when a check fails or could not be evaluated. */
export const EXIT_CHECK_FAILED = 1;

const DEFAULT_PORT = 3306;

interface CheckCliOptions {
  host?: string;
  port?: number;
  user?: string;
  passwordFile?: string;
  ca?: string;
  insecure?: true;
  profile: 'hardened' | 'baseline';
  dir: string;
  only?: string;
  list?: true;
  json?: true;
}

export function checkCommand() {
  return new Command('check')
    .description(
      'report what protects a running MariaDB server at rest and in transit, and what to change',
    )
    .option('--host <host>', 'server to check (default: the local server of --dir)')
    .option('--port <n>', `TCP port (default ${DEFAULT_PORT} with --host)`, parseInteger(1, 65535))
    .option('--user <name>', 'account to log in as; needs SELECT on mysql.* and PROCESS')
    .option(
      '--password-file <path>',
      `file holding the password (else ${PASSWORD_ENV}, else a prompt)`,
    )
    .option('--ca <file>', 'PEM CA certificate that must have issued the server certificate')
    .option('--insecure', 'skip server certificate verification and mark the report unverified')
    .addOption(
      new Option('--profile <name>', 'what to judge against')
        .choices(['hardened', 'baseline'] as const)
        .default('hardened' as const),
    )
    .option('--dir <path>', DIR_HELP, defaultStateDir())
    .option('--only <ids>', 'run only these checks, comma-separated (for example T01,E07)')
    .option('--list', 'print the catalogue of checks without connecting')
    .option('--json', 'print the report as JSON with every finding')
    .addHelpText(
      'after',
      '\nWith no --host, --port, --user, --password-file or --ca, the local server started by\n' +
        '"mariadb-tdx up" in --dir is checked with its admin account and CA.\n\n' +
        'Exit status: 0 nothing failed, 1 a check failed or ended in error, 2 the check could not\n' +
        'run (server unreachable, TLS verification failed, login refused).',
    )
    .action(async (options) => {
      if (options.list) {
        await listCatalogue(options.json === true);
        return;
      }
      await runCheck(options);
    });
}

async function runCheck(options: CheckCliOptions) {
  const [{ checkPosture }, { createStyle }, { renderPostureReport }] = await Promise.all([
    import('../../posture/check.js'),
    import('../../report/style.js'),
    import('../../report/posture.js'),
  ]);
  const connection = await connectionOptions(options);
  const report = await checkPosture({
    connection,
    profile: options.profile,
    only: options.only
      ?.split(',')
      .map((id) => id.trim())
      .filter(Boolean),
  });

  if (options.json) printJson(report);
  else {
    println(
      renderPostureReport(report, createStyle(), {
        columns: process.stdout.columns ?? 100,
        caFile: options.ca ?? (isRemote(options) ? undefined : 'the CA of the state directory'),
      }),
    );
  }
  if (!report.passed) process.exitCode = EXIT_CHECK_FAILED;
}

function isRemote(options: CheckCliOptions): boolean {
  return [options.host, options.port, options.user, options.passwordFile, options.ca].some(
    (value) => value !== undefined,
  );
}

async function connectionOptions(options: CheckCliOptions): Promise<ConnectionOptions> {
  if (!isRemote(options)) {
    const { localCheckConnection } = await import('../../posture/check.js');
    const local = await localCheckConnection(options.dir);
    return { ...local, insecure: options.insecure === true };
  }

  if (options.user === undefined) {
    throw new ConfigError('INVALID_OPTION', '--user is required when checking a server by --host', {
      hint: 'pass --user NAME; the account needs SELECT on mysql.* and PROCESS',
    });
  }
  const host = options.host ?? '127.0.0.1';
  return {
    host,
    port: options.port ?? DEFAULT_PORT,
    user: options.user,
    password: await resolvePassword({ passwordFile: options.passwordFile }, options.user),
    ca: options.ca === undefined ? undefined : await readCaFile(options.ca),
    insecure: options.insecure === true,
  };
}

async function readCaFile(path: string): Promise<string> {
  const pem = await readInputFile(path, 'CA file', '--ca');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('INVALID_OPTION', `CA file ${path} contains no PEM certificate`, {
      hint: 'pass the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)',
    });
  }
  return pem;
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
