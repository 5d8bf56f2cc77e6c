import { DatabaseError } from '../errors.js';
import type { Connection } from '../mariadb/connection.js';
import { CATALOGUE } from './catalogue/index.js';
import { PostureError } from './errors.js';
import { isServerOnThisHost, localHostProbe, type HostProbe } from './host.js';
import {
  FINDING_STATUSES,
  type CheckContext,
  type Finding,
  type FindingStatus,
  type PostureCheck,
  type PostureProfile,
  type PostureReport,
  type Row,
  type Verdict,
} from './types.js';
import { parseServerVersion } from './version.js';

/** Options of {@link runPostureChecks}. */
export interface RunPostureOptions {
  /** Host, port and user of the connection, for the report. */
  readonly target: { readonly host: string; readonly port: number; readonly user: string };
  /** False when the connection skipped server certificate verification. */
  readonly verified: boolean;
  /** Default `hardened`. */
  readonly profile?: PostureProfile | undefined;
  /** Runs only the checks with these ids, in catalogue order. */
  readonly only?: readonly string[] | undefined;
  /** The clock for certificate and end-of-life dates; default now. */
  readonly now?: Date | undefined;
  /**
   * File and swap probes of the server's host. Default: this machine's when the server runs
   * here (see {@link isServerOnThisHost}), none otherwise; `null` forces none.
   */
  readonly host?: HostProbe | null | undefined;
}

// Server errors that mean "this version has no such variable or table".
const NOT_APPLICABLE_CODES = new Set([
  'ER_UNKNOWN_SYSTEM_VARIABLE',
  'ER_NO_SUCH_TABLE',
  'ER_UNKNOWN_TABLE',
]);

const ACCESS_DENIED_CODES = new Set([
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_COLUMNACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_ERROR',
]);

const PRIVILEGE_ADVICE =
  'run the check as an administrator, or grant the account SELECT ON mysql.*, PROCESS and ' +
  'SLAVE MONITOR (REPLICATION CLIENT before 10.5.9)';

interface SqlErrorShape {
  code?: string;
  sqlMessage?: string | null;
  fatal?: boolean;
}

/**
 * Runs the catalogue over an open connection and returns one finding per check. A check whose
 * query fails gets status `error`. The function throws only when it cannot run at all, because
 * the server is not MariaDB, is too old, or the connection is lost.
 */
export async function runPostureChecks(
  connection: Connection,
  options: RunPostureOptions,
): Promise<PostureReport> {
  const profile = options.profile ?? 'hardened';
  const checks = selectChecks(options.only);
  const versionText = await queryVersion(connection, options.target);
  const version = parseServerVersion(versionText);
  let host: HostProbe | undefined;
  if (options.host === undefined) {
    const onThisHost = await isServerOnThisHost(connection, options.target.host);
    host = onThisHost ? localHostProbe : undefined;
  } else {
    host = options.host ?? undefined;
  }

  const context: CheckContext = { version, now: options.now ?? new Date(), host };
  const findings: Finding[] = [];
  for (const check of checks) {
    findings.push(await runCheck(connection, check, context, profile, options.target));
  }

  const summary = Object.fromEntries(FINDING_STATUSES.map((status) => [status, 0])) as Record<
    FindingStatus,
    number
  >;
  for (const finding of findings) summary[finding.status] += 1;

  return {
    target: { ...options.target },
    server: { version: versionText, local: host !== undefined },
    profile,
    verified: options.verified,
    checkedAt: context.now.toISOString(),
    findings,
    summary,
    passed: summary.fail === 0 && summary.error === 0,
  };
}

function selectChecks(only: readonly string[] | undefined): readonly PostureCheck[] {
  if (!only) return CATALOGUE;
  const requested = new Set(only.map((id) => id.toUpperCase()));
  const unknown = [...requested].filter((id) => !CATALOGUE.some((check) => check.id === id));
  if (unknown.length > 0) {
    throw new PostureError('UNKNOWN_CHECK', `no check has the id ${unknown.join(', ')}`, {
      hint: 'list the check ids with: mariadb-tdx check --list',
    });
  }
  return CATALOGUE.filter((check) => requested.has(check.id));
}

async function queryVersion(connection: Connection, target: RunPostureOptions['target']) {
  try {
    const [row] = (await connection.query('SELECT VERSION() AS version')) as { version: string }[];
    return String(row?.version ?? '');
  } catch (error) {
    throw new DatabaseError(
      'QUERY_FAILED',
      `SELECT VERSION() failed on ${target.host}:${target.port}`,
      { cause: error },
    );
  }
}

async function runCheck(
  connection: Connection,
  check: PostureCheck,
  context: CheckContext,
  profile: PostureProfile,
  target: RunPostureOptions['target'],
): Promise<Finding> {
  const sql = typeof check.sql === 'function' ? check.sql(context.version) : check.sql;
  let rows: Row[];
  try {
    rows = (await connection.query(sql)) as Row[];
  } catch (error) {
    const failure = error as SqlErrorShape;
    if (failure.fatal) {
      throw new DatabaseError(
        'QUERY_FAILED',
        `the connection to ${target.host}:${target.port} was lost during check ${check.id}`,
        { hint: 'run the check again; see the server error log if it repeats', cause: error },
      );
    }
    return describe(check, sql, queryFailure(failure), profile);
  }
  return describe(check, sql, await check.evaluate(rows, context), profile);
}

function queryFailure(
  error: SqlErrorShape,
): Verdict | { status: 'error'; observed: string; advice: string } {
  const code = error.code ?? 'UNKNOWN';
  const message = error.sqlMessage ?? '';
  if (NOT_APPLICABLE_CODES.has(code)) {
    return { status: 'not_applicable', observed: `not in this server version: ${message}` };
  }
  if (ACCESS_DENIED_CODES.has(code)) {
    return { status: 'error', observed: `access denied: ${message}`, advice: PRIVILEGE_ADVICE };
  }
  return {
    status: 'error',
    observed: `query failed (${code}): ${message}`,
    advice: 'run the statement by hand to see the whole error',
  };
}

/** Turns a verdict into a finding, applying the profile and the check's policy note. */
function describe(
  check: PostureCheck,
  sql: string,
  verdict: { status: FindingStatus; observed: string; advice?: string },
  profile: PostureProfile,
): Finding {
  let status = verdict.status;
  let note: string | undefined;
  if (profile === 'baseline' && check.baseline === 'open' && status === 'fail') {
    status = 'warn';
    note = 'the baseline profile leaves this open; the hardened profile fails it';
  } else if (status === 'warn' && check.policy) {
    note = `policy: ${check.policy}`;
  }

  return {
    id: check.id,
    group: check.group,
    title: check.title,
    severity: check.severity,
    status,
    observed: verdict.observed,
    expected: check.expected,
    advice: verdict.advice || check.advice,
    sql,
    ...(note ? { note } : {}),
  };
}
