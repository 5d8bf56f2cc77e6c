import {
  LOCAL_HOSTS_SQL,
  isOn,
  listAccounts,
  listNames,
  noRowsCheck,
  switchCheck,
  variableCheck,
} from '../rules.js';
import type { PostureCheck, Verdict } from '../types.js';
import { versionAtLeast } from '../version.js';

// Host patterns that match more than one machine: SQL wildcards, netmasks, or the empty host.
const WILDCARD_HOST = "(Host = '' OR Host LIKE '%\\%%' OR Host LIKE '%\\_%' OR Host LIKE '%/%')";

export const anonymousAccounts = noRowsCheck({
  id: 'A01',
  group: 'accounts',
  title: 'no anonymous accounts',
  severity: 'high',
  sql: "SELECT User, Host FROM mysql.user WHERE User = ''",
  expected: 'no account with an empty user name',
  advice: "DROP USER ''@'host' for each account listed",
  risk: 'anyone can log in with any user name that has no account of its own',
  baseline: 'open',
  passed: 'none',
  describe: listAccounts,
});

export const remoteRoot = noRowsCheck({
  id: 'A02',
  group: 'accounts',
  title: 'root can log in only from the local host',
  severity: 'high',
  sql: `SELECT User, Host FROM mysql.user WHERE User = 'root' AND Host NOT IN ${LOCAL_HOSTS_SQL}`,
  expected: 'no root account for a host other than localhost, 127.0.0.1 or ::1',
  advice:
    "DROP USER 'root'@'host' for each account listed; give remote administrators named accounts",
  risk: 'the best-known account name is reachable over the network',
  baseline: 'open',
  passed: 'none',
  describe: listAccounts,
});

export const wildcardHosts = noRowsCheck({
  id: 'A03',
  group: 'accounts',
  title: 'accounts name single hosts',
  severity: 'medium',
  sql: `SELECT User, Host FROM mysql.user WHERE is_role = 'N' AND ${WILDCARD_HOST}`,
  expected: 'no host patterns, or only patterns chosen on purpose',
  advice:
    "RENAME USER 'user'@'%' TO 'user'@'10.0.0.5' (the client's address) where one host is enough",
  risk: 'a password that leaks works from every host the pattern matches',
  policy:
    'a pattern such as an application subnet can be deliberate, so this check warns instead of ' +
    'failing; A04 fails for patterns that carry administrative privileges',
  baseline: 'open',
  status: 'warn',
  passed: 'none',
  describe: listAccounts,
});

export const wildcardAdministrators = noRowsCheck({
  id: 'A04',
  group: 'accounts',
  title: 'no host pattern carries GRANT OPTION or SUPER',
  severity: 'high',
  sql:
    `SELECT User, Host FROM mysql.user WHERE is_role = 'N' AND ${WILDCARD_HOST} ` +
    "AND (Grant_priv = 'Y' OR Super_priv = 'Y')",
  expected: 'no account with a host pattern holds GRANT OPTION or SUPER',
  advice: "REVOKE SUPER, GRANT OPTION ON *.* FROM 'user'@'%', or restrict the account to one host",
  risk: 'an administrator password works from any matching host and can create more accounts',
  baseline: 'open',
  passed: 'none',
  describe: listAccounts,
});

// Plugins whose stored authentication string is derived from a password.
const PASSWORD_PLUGINS = "('mysql_native_password', 'mysql_old_password', 'ed25519', 'parsec')";

const PASSWORDLESS_BASE =
  'SELECT g.User, g.Host FROM mysql.global_priv g ' +
  "WHERE IFNULL(JSON_EXTRACT(g.Priv, '$.account_locked'), 'false') <> 'true' " +
  "AND IFNULL(JSON_EXTRACT(g.Priv, '$.is_role'), 'false') <> 'true' " +
  `AND ((JSON_VALUE(g.Priv, '$.plugin') IN ${PASSWORD_PLUGINS} ` +
  "AND IFNULL(JSON_VALUE(g.Priv, '$.authentication_string'), '') = '')";

// Accounts can name alternatives (IDENTIFIED VIA a OR b) in $.auth_or; any password plugin among
// them with an empty string also lets the account in. JSON_TABLE arrived in 10.6. The hashes are
// compared on the server, so they never reach this process.
const PASSWORDLESS_ALTERNATIVES =
  " OR EXISTS (SELECT 1 FROM JSON_TABLE(g.Priv, '$.auth_or[*]' COLUMNS (" +
  "plugin VARCHAR(64) PATH '$.plugin', auth TEXT PATH '$.authentication_string')) a " +
  `WHERE a.plugin IN ${PASSWORD_PLUGINS} AND IFNULL(a.auth, '') = '')`;

export const passwordlessAccounts = noRowsCheck({
  id: 'A05',
  group: 'accounts',
  title: 'every account that logs in with a password has one',
  severity: 'critical',
  sql: (version) =>
    versionAtLeast(version, 10, 6)
      ? `${PASSWORDLESS_BASE}${PASSWORDLESS_ALTERNATIVES})`
      : `${PASSWORDLESS_BASE})`,
  expected: 'every account that authenticates by password has a non-empty one, or is locked',
  advice: "ALTER USER 'user'@'host' IDENTIFIED BY '…', or ALTER USER … ACCOUNT LOCK",
  risk: 'anyone who can reach the server logs in as these accounts without a password',
  baseline: 'open',
  passed: 'none',
  describe: listAccounts,
});

export const oldPasswordHashes = noRowsCheck({
  id: 'A06',
  group: 'accounts',
  title: 'no pre-4.1 password hashes',
  severity: 'high',
  sql:
    "SELECT User, Host FROM mysql.global_priv WHERE JSON_VALUE(Priv, '$.plugin') = 'mysql_old_password' " +
    "OR (JSON_VALUE(Priv, '$.plugin') = 'mysql_native_password' " +
    "AND LENGTH(JSON_VALUE(Priv, '$.authentication_string')) = 16)",
  expected: 'no account uses mysql_old_password or a 16-character hash',
  advice: "ALTER USER 'user'@'host' IDENTIFIED BY '…' with old_passwords=OFF",
  risk: 'the 16-character hash is weak enough to reverse, and its handshake is replayable',
  baseline: 'open',
  passed: 'none',
  describe: listAccounts,
});

export const oldPasswordSettings: PostureCheck = {
  id: 'A07',
  group: 'accounts',
  title: 'old password hashing is off',
  severity: 'medium',
  sql: "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('old_passwords', 'secure_auth')",
  expected: 'old_passwords=OFF, secure_auth=ON',
  advice: 'SET GLOBAL old_passwords=OFF, secure_auth=ON, and the same under [mariadbd]',
  risk: 'new passwords get the weak pre-4.1 hash, or accounts with such hashes can log in',
  baseline: 'open',
  evaluate: (rows) => judgeOldPasswords(rows.map((row) => [row.Variable_name, row.Value])),
};

// Either variable may be absent in some versions; judge whichever exist.
function judgeOldPasswords(pairs: unknown[][]): Verdict {
  const values = new Map(pairs.map(([name, value]) => [String(name), String(value)]));
  if (values.size === 0) {
    return {
      status: 'not_applicable',
      observed: 'old_passwords and secure_auth do not exist in this version',
    };
  }

  const observed = [...values].map(([name, value]) => `${name}=${value}`).join(', ');
  const bad =
    (values.has('old_passwords') && isOn(values.get('old_passwords'))) ||
    (values.has('secure_auth') && !isOn(values.get('secure_auth')));
  return { status: bad ? 'fail' : 'pass', observed };
}

export const passwordValidation: PostureCheck = {
  id: 'A08',
  group: 'accounts',
  title: 'a password validation plugin is active',
  severity: 'medium',
  sql:
    'SELECT PLUGIN_NAME FROM information_schema.PLUGINS ' +
    "WHERE PLUGIN_TYPE = 'PASSWORD VALIDATION' AND PLUGIN_STATUS = 'ACTIVE'",
  expected:
    'an active password validation plugin (simple_password_check, cracklib_password_check, …)',
  advice:
    'plugin_load_add=simple_password_check under [mariadbd], or INSTALL SONAME ' +
    "'simple_password_check'",
  risk: 'accounts can be given short or common passwords',
  baseline: 'open',
  evaluate: (rows) =>
    rows.length > 0
      ? { status: 'pass', observed: listNames(rows.map((row) => String(row.PLUGIN_NAME))) }
      : { status: 'fail', observed: 'none active' },
};

export const strictPasswordValidation = switchCheck({
  id: 'A09',
  group: 'accounts',
  title: 'password hashes cannot bypass validation',
  severity: 'medium',
  variable: 'strict_password_validation',
  expected: 'strict_password_validation=ON',
  advice: 'SET GLOBAL strict_password_validation=ON, and the same under [mariadbd]',
  risk: 'IDENTIFIED BY PASSWORD with a precomputed hash skips every password rule',
  baseline: 'open',
});

export const passwordLifetime = variableCheck({
  id: 'A10',
  group: 'accounts',
  title: 'passwords expire',
  severity: 'low',
  variables: ['default_password_lifetime'],
  expected: 'default_password_lifetime between 1 and 365 days',
  advice: 'SET GLOBAL default_password_lifetime=365, and the same under [mariadbd]',
  risk: 'a password that leaked once keeps working until someone changes it',
  policy:
    'benchmarks such as CIS ask for at most 365 days, while NIST SP 800-63B advises against ' +
    'forced rotation of memorised secrets; the operator decides, so this check only warns',
  baseline: 'open',
  judge: (values) => {
    const days = Number(values.get('default_password_lifetime'));
    const observed = `default_password_lifetime=${days}`;
    return { status: days > 0 && days <= 365 ? 'pass' : 'warn', observed };
  },
});

// MariaDB uses the maximum unsigned 32-bit value for "no limit".
const UNLIMITED_PASSWORD_ERRORS = 4294967295;

export const passwordLockout = variableCheck({
  id: 'A11',
  group: 'accounts',
  title: 'repeated wrong passwords lock the account',
  severity: 'low',
  variables: ['max_password_errors'],
  expected: 'max_password_errors set to a limit',
  advice: 'SET GLOBAL max_password_errors=10, and the same under [mariadbd]',
  risk: 'online password guessing is limited only by the connection rate',
  policy:
    'a limit also lets anyone who knows an account name lock it until FLUSH PRIVILEGES, which ' +
    'some operators cannot accept, so this check only warns',
  baseline: 'open',
  judge: (values) => {
    const limit = Number(values.get('max_password_errors'));
    const observed =
      limit >= UNLIMITED_PASSWORD_ERRORS
        ? 'max_password_errors unlimited'
        : `max_password_errors=${limit}`;
    return { status: limit < UNLIMITED_PASSWORD_ERRORS ? 'pass' : 'warn', observed };
  },
});

export const ACCOUNT_CHECKS: readonly PostureCheck[] = [
  anonymousAccounts,
  remoteRoot,
  wildcardHosts,
  wildcardAdministrators,
  passwordlessAccounts,
  oldPasswordHashes,
  oldPasswordSettings,
  passwordValidation,
  strictPasswordValidation,
  passwordLifetime,
  passwordLockout,
];
