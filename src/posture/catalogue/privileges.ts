import { LOCAL_HOSTS_SQL, listAccounts, listNames, noRowsCheck } from '../rules.js';
import type { PostureCheck, Row } from '../types.js';

export const fileHolders = noRowsCheck({
  id: 'H08',
  group: 'general hardening',
  title: 'only local accounts hold FILE',
  severity: 'high',
  // NOTE: privileges that reach an account through a role are not followed.
  sql: `SELECT User, Host FROM mysql.user WHERE is_role = 'N' AND File_priv = 'Y' AND Host NOT IN ${LOCAL_HOSTS_SQL}`,
  expected: 'no account for a host other than localhost, 127.0.0.1 or ::1 holds FILE',
  advice: "REVOKE FILE ON *.* FROM 'user'@'host' for each account listed",
  risk: 'FILE reads and writes server files, the key file included unless secure_file_priv stops it',
  baseline: 'open',
  passed: 'none',
  describe: listAccounts,
});

export const administrativeHolders = noRowsCheck({
  id: 'H09',
  group: 'general hardening',
  title: 'only local accounts hold SUPER, SHUTDOWN, RELOAD or CREATE USER',
  severity: 'medium',
  sql:
    "SELECT User, Host FROM mysql.user WHERE is_role = 'N' AND (Super_priv = 'Y' " +
    "OR Shutdown_priv = 'Y' OR Reload_priv = 'Y' OR Create_user_priv = 'Y') " +
    `AND Host NOT IN ${LOCAL_HOSTS_SQL}`,
  expected: 'no remote administrators, or only ones chosen on purpose (REQUIRE X509)',
  advice:
    "REVOKE SUPER, SHUTDOWN, RELOAD, CREATE USER ON *.* FROM 'user'@'host', or keep the " +
    'account and require a client certificate (REQUIRE X509)',
  risk: 'a stolen password of these accounts can reconfigure the server from the network',
  policy:
    'remote administration can be deliberate, so this check warns; the accounts should then ' +
    'need a client certificate',
  baseline: 'open',
  status: 'warn',
  passed: 'none',
  describe: listAccounts,
});

export const processHolders = noRowsCheck({
  id: 'H10',
  group: 'general hardening',
  title: 'only local accounts hold PROCESS',
  severity: 'medium',
  sql: `SELECT User, Host FROM mysql.user WHERE is_role = 'N' AND Process_priv = 'Y' AND Host NOT IN ${LOCAL_HOSTS_SQL}`,
  expected: 'no remote account with PROCESS, or only monitoring accounts chosen on purpose',
  advice: "REVOKE PROCESS ON *.* FROM 'user'@'host' for each account listed",
  risk: 'PROCESS shows the full text of every running statement, with its values',
  policy: 'monitoring agents often need PROCESS from another host, so this check warns',
  baseline: 'open',
  status: 'warn',
  passed: 'none',
  describe: listAccounts,
});

// Each row is one grant on the mysql schema. `checker` marks the account running the check, and
// `select_only` a grant of SELECT alone without GRANT OPTION. information_schema lists every
// privilege of a database grant, whatever privilege columns mysql.db has in this version.
// mariadb.sys@localhost owns the mysql.user view and needs its grant on mysql.global_priv.
const MYSQL_SCHEMA_GRANTS_SQL =
  "SELECT CONCAT('''', User, '''@''', Host, ''' on mysql.*') AS GRANTEE, " +
  "CONCAT(User, '@', Host) = CURRENT_USER() AS checker, Select_priv = 'Y' AND NOT EXISTS " +
  '(SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES p WHERE p.TABLE_SCHEMA = ' +
  "'mysql' AND p.GRANTEE = CONCAT('''', User, '''@''', Host, '''') AND " +
  "(p.PRIVILEGE_TYPE <> 'SELECT' OR p.IS_GRANTABLE = 'YES')) AS select_only " +
  "FROM mysql.db WHERE Db = 'mysql' UNION ALL " +
  "SELECT CONCAT('''', User, '''@''', Host, ''' on mysql.', Table_name), " +
  "CONCAT(User, '@', Host) = CURRENT_USER(), Table_priv = 'Select' AND Column_priv = '' " +
  "FROM mysql.tables_priv WHERE Db = 'mysql' AND NOT (User = 'mariadb.sys' AND Host = 'localhost')";

export const mysqlSchemaGrants: PostureCheck = {
  id: 'H11',
  group: 'general hardening',
  title: 'no grants on the mysql schema',
  severity: 'high',
  sql: MYSQL_SCHEMA_GRANTS_SQL,
  expected:
    'no account holds privileges on the mysql schema, except SELECT for the account running ' +
    'the check',
  advice: "REVOKE ALL ON mysql.* FROM 'user'@'host' (or on the table listed)",
  risk: 'these accounts can read password hashes or rewrite privileges',
  baseline: 'open',
  evaluate: (rows) => {
    const grantee = (row: Row) => String(row.GRANTEE);
    const own = rows.filter((row) => Number(row.checker) === 1);
    // The checks read mysql.user, mysql.global_priv, mysql.db and mysql.tables_priv, so the
    // account running them needs SELECT there; any other privilege of that account still counts.
    const ownReadOnly = own.length > 0 && own.every((row) => Number(row.select_only) === 1);
    const counted = ownReadOnly ? rows.filter((row) => Number(row.checker) !== 1) : rows;
    if (counted.length > 0) return { status: 'fail', observed: listNames(counted.map(grantee)) };
    if (!ownReadOnly) return { status: 'pass', observed: 'none' };
    return {
      status: 'pass',
      observed: `none besides SELECT for the account running the check: ${listNames(own.map(grantee))}`,
      note:
        'the account running the check needs SELECT on the mysql schema, so that grant is not ' +
        'counted; revoke it when the account no longer runs checks',
    };
  },
};
