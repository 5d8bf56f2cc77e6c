import { DatabaseError } from '../errors.js';
import type { Connection } from '../mariadb/connection.js';
import { formatEndpoint } from '../util/endpoint.js';
import { CATALOGUE } from './catalogue/index.js';
import { PostureError } from './errors.js';
import { isServerOnThisHost, localHostProbe, type HostProbe } from './host.js';
import { collectEvidence, isConnectionLost } from './query.js';
import {
  FINDING_STATUSES,
  type CheckContext,
  type ErrorVerdict,
  type Finding,
  type FindingStatus,
  type PostureCheck,
  type PostureProfile,
  type PostureReport,
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

/**
 * Returns the checks with the given ids (any case), in catalogue order, or the whole catalogue
 * when `only` is undefined. Throws PostureError for a list without ids or with an unknown id.
 */
export function selectChecks(only: readonly string[] | undefined): readonly PostureCheck[] {
  if (!only) return CATALOGUE;
  const ids = only.map((id) => id.trim().toUpperCase()).filter((id) => id !== '');
  if (ids.length === 0) {
    throw new PostureError('NO_CHECK_SELECTED', 'no check ids were given', {
      hint: 'name checks separated by commas, for example T01,E07 (mariadb-tdx check --list shows all)',
    });
  }
  const requested = new Set(ids);
  const unknown = [...requested].filter((id) => !CATALOGUE.some((check) => check.id === id));
  if (unknown.length > 0) {
    const noun = unknown.length === 1 ? 'the id' : 'the ids';
    throw new PostureError('UNKNOWN_CHECK', `no check has ${noun} ${unknown.join(', ')}`, {
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
      `SELECT VERSION() failed on ${formatEndpoint(target.host, target.port)}`,
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
  try {
    const evidence = await collectEvidence(connection, check, context);
    return describe(check, evidence.sql, evidence.verdict, profile);
  } catch (error) {
    if (!isConnectionLost(error)) throw error;
    const where = formatEndpoint(target.host, target.port);
    throw new DatabaseError(
      'QUERY_FAILED',
      `the connection to ${where} was lost during check ${check.id}`,
      { hint: 'run the check again; see the server error log if it repeats', cause: error },
    );
  }
}

/** Turns a verdict into a finding, applying the profile and the check's policy note. */
function describe(
  check: PostureCheck,
  sql: string,
  verdict: Verdict | ErrorVerdict,
  profile: PostureProfile,
): Finding {
  let status = verdict.status;
  let profileNote: string | undefined;
  if (profile === 'baseline' && check.baseline === 'open' && status === 'fail') {
    status = 'warn';
    profileNote = 'the baseline profile leaves this open; the hardened profile fails it';
  } else if (status === 'warn' && check.policy) {
    profileNote = `policy: ${check.policy}`;
  }
  const note = [verdict.note, profileNote].filter(Boolean).join('; ');

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
