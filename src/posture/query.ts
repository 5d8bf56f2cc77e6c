import type { Connection } from '../mariadb/connection.js';
import type { CheckContext, ErrorVerdict, PostureCheck, Row, Verdict } from './types.js';

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

// The grants that `check --help` and README list for an account that runs every check.
const PRIVILEGE_ADVICE =
  'run the check as an administrator, or grant the account SELECT ON mysql.* and ' +
  'PROCESS, SLAVE MONITOR ON *.*';

interface SqlErrorShape {
  code?: string;
  sqlMessage?: string | null;
  fatal?: boolean;
}

/** The statement a check ran and the verdict on what it returned. */
export interface Evidence {
  readonly sql: string;
  readonly verdict: Verdict | ErrorVerdict;
}

/**
 * Runs a check's statement and judges the rows. A statement that the server rejects gives an
 * `error` or `not_applicable` verdict, and when the account lacks the privilege, the check's
 * fallback evidence is collected instead. Rethrows errors that closed the connection (see
 * {@link isConnectionLost}).
 */
export async function collectEvidence(
  connection: Connection,
  check: PostureCheck,
  context: CheckContext,
): Promise<Evidence> {
  const sql = typeof check.sql === 'function' ? check.sql(context.version) : check.sql;
  let rows: Row[];
  try {
    rows = (await connection.query(sql)) as Row[];
  } catch (error) {
    if (isConnectionLost(error)) throw error;
    const failure = error as SqlErrorShape;
    if (check.whenDenied && ACCESS_DENIED_CODES.has(failure.code ?? '')) {
      return collectFallback(connection, check.whenDenied, context, sql, failure);
    }
    return { sql, verdict: queryFailure(failure) };
  }
  return { sql, verdict: await check.evaluate(rows, context) };
}

/** True for connector errors after which the connection cannot run further statements. */
export function isConnectionLost(error: unknown): boolean {
  return (error as SqlErrorShape | undefined)?.fatal === true;
}

async function collectFallback(
  connection: Connection,
  fallback: NonNullable<PostureCheck['whenDenied']>,
  context: CheckContext,
  deniedSql: string,
  denial: SqlErrorShape,
): Promise<Evidence> {
  let rows: Row[];
  try {
    rows = (await connection.query(fallback.sql)) as Row[];
  } catch (error) {
    if (isConnectionLost(error)) throw error;
    // When the fallback fails as well, the original denial is the more useful error to report.
    return { sql: deniedSql, verdict: queryFailure(denial) };
  }
  const verdict = fallback.evaluate(rows, context);
  const reason = `${deniedSql} needs ${fallback.privilege}, which this account lacks`;
  return {
    sql: fallback.sql,
    verdict: { ...verdict, note: verdict.note ? `${reason}: ${verdict.note}` : reason },
  };
}

function queryFailure(error: SqlErrorShape): Verdict | ErrorVerdict {
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
