import type { CheckContext, PostureCheck, Row, Verdict } from './types.js';

/** Host names of accounts that can connect only from the server's own machine. */
export const LOCAL_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

/** `('localhost', '127.0.0.1', '::1')`, for `Host NOT IN …` clauses. */
export const LOCAL_HOSTS_SQL = `(${LOCAL_HOSTS.map((host) => `'${host}'`).join(', ')})`;

/** Findings list at most this many offending objects, followed by the count of the rest. */
const MAX_LISTED = 6;

/** Returns `SHOW GLOBAL VARIABLES` restricted to the given names. */
export function showVariables(names: readonly string[]): string {
  return `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(', ')})`;
}

/** Reads `SHOW … VARIABLES` or `SHOW … STATUS` rows into a map keyed by lower-case name. */
export function nameValueMap(rows: readonly Row[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const row of rows) {
    const name = row.Variable_name ?? row.VARIABLE_NAME;
    const value = row.Value ?? row.VARIABLE_VALUE;
    if (typeof name === 'string') map.set(name.toLowerCase(), value == null ? '' : String(value));
  }
  return map;
}

/** True for the spellings MariaDB uses for an enabled switch. */
export function isOn(value: string | undefined): boolean {
  return ['ON', '1', 'YES', 'TRUE', 'FORCE'].includes((value ?? '').toUpperCase());
}

/** Formats a list of names, cut after a few with a count of the rest. */
export function listNames(names: readonly string[]): string {
  if (names.length <= MAX_LISTED) return names.join(', ');
  return `${names.slice(0, MAX_LISTED).join(', ')} and ${names.length - MAX_LISTED} more`;
}

/** Formats rows with User and Host columns as MariaDB account names. */
export function listAccounts(rows: readonly Row[]): string {
  return listNames(rows.map((row) => `'${String(row.User)}'@'${String(row.Host)}'`));
}

/** Verdict for a variable that does not exist in this server version. */
export function missingVariable(name: string): Verdict {
  return { status: 'not_applicable', observed: `${name} does not exist in this server version` };
}

type CheckData = Omit<PostureCheck, 'sql' | 'evaluate'>;

/**
 * Builds a check over global variables. The rule receives the value of every name in
 * `variables`, and when one of them does not exist in the server's version the check is not
 * applicable.
 */
export function variableCheck(
  data: CheckData & {
    readonly variables: readonly string[];
    readonly judge: (
      values: Map<string, string>,
      context: CheckContext,
    ) => Verdict | Promise<Verdict>;
  },
): PostureCheck {
  const { variables, judge, ...rest } = data;
  return {
    ...rest,
    sql: showVariables(variables),
    evaluate: (rows, context) => {
      const values = nameValueMap(rows);
      const missing = variables.find((name) => !values.has(name.toLowerCase()));
      return missing ? missingVariable(missing) : judge(values, context);
    },
  };
}

/** Builds a check that passes when a switch variable is ON (or OFF, with `want: 'OFF'`). */
export function switchCheck(
  data: CheckData & { readonly variable: string; readonly want?: 'ON' | 'OFF' },
): PostureCheck {
  const { variable, want = 'ON', ...rest } = data;
  return variableCheck({
    ...rest,
    variables: [variable],
    judge: (values) => {
      const value = values.get(variable) ?? '';
      const passed = isOn(value) === (want === 'ON');
      return { status: passed ? 'pass' : 'fail', observed: `${variable}=${value}` };
    },
  });
}

/**
 * Builds a check whose SQL selects offending objects: no rows pass, any row gives `status`
 * with the objects listed by `describe`.
 */
export function noRowsCheck(
  data: CheckData & {
    readonly sql: string | PostureCheck['sql'];
    readonly describe: (rows: readonly Row[]) => string;
    readonly passed: string;
    readonly status?: 'fail' | 'warn';
  },
): PostureCheck {
  const { describe, passed, status = 'fail', ...rest } = data;
  return {
    ...rest,
    evaluate: (rows) =>
      rows.length === 0
        ? { status: 'pass', observed: passed }
        : { status, observed: describe(rows) },
  };
}
