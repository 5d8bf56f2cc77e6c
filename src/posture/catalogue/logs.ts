import type { HostProbe } from '../host.js';
import { isOn, listNames, nameValueMap, switchCheck, variableCheck } from '../rules.js';
import type { PostureCheck, Verdict } from '../types.js';

export const generalLog = switchCheck({
  id: 'L01',
  group: 'logs and temporary files',
  title: 'the general query log is off',
  severity: 'critical',
  variable: 'general_log',
  want: 'OFF',
  expected: 'general_log=OFF',
  advice: 'SET GLOBAL general_log=OFF, and general_log=0 under [mariadbd]',
  risk: 'every statement, with the values it carries, is written to a file in clear',
  baseline: 'open',
});

export const slowLog = switchCheck({
  id: 'L02',
  group: 'logs and temporary files',
  title: 'the slow query log is off',
  severity: 'high',
  variable: 'slow_query_log',
  want: 'OFF',
  expected: 'slow_query_log=OFF',
  advice:
    'SET GLOBAL slow_query_log=OFF, and slow_query_log=0 under [mariadbd]; if it must run, keep ' +
    'its file on an encrypted file system',
  risk: 'slow statements, with the values they carry, are written to a file in clear',
  baseline: 'open',
});

export const logOutput = variableCheck({
  id: 'L03',
  group: 'logs and temporary files',
  title: 'logs are not written to tables',
  severity: 'medium',
  variables: ['log_output'],
  expected: 'log_output=FILE (or NONE)',
  advice: "SET GLOBAL log_output='FILE', and log_output=FILE under [mariadbd]",
  risk: 'TABLE stores the general and slow logs as CSV files in the data directory, in clear',
  baseline: 'open',
  judge: (values) => {
    const value = values.get('log_output') ?? '';
    const tables = value.toUpperCase().split(',').includes('TABLE');
    return { status: tables ? 'fail' : 'pass', observed: `log_output=${value}` };
  },
});

export const binlogEncryption = variableCheck({
  id: 'L04',
  group: 'logs and temporary files',
  title: 'binary and relay logs are encrypted',
  severity: 'critical',
  variables: ['log_bin', 'encrypt_binlog'],
  expected: 'log_bin=OFF, or encrypt_binlog=ON',
  advice:
    'encrypt_binlog=ON under [mariadbd] and restart, then FLUSH BINARY LOGS and remove the ' +
    'older files with PURGE BINARY LOGS once replicas and backups no longer need them',
  risk: 'binary logs hold every changed row; relay logs on replicas hold the same',
  baseline: 'open',
  judge: (values) => {
    const observed = `log_bin=${values.get('log_bin')}, encrypt_binlog=${values.get('encrypt_binlog')}`;
    const safe = !isOn(values.get('log_bin')) || isOn(values.get('encrypt_binlog'));
    return { status: safe ? 'pass' : 'fail', observed };
  },
});

// Directories that are RAM-backed (tmpfs) on every mainstream Linux distribution.
const RAM_DIRECTORY_PREFIXES = ['/dev/shm/', '/run/'];
const RAM_FILE_SYSTEMS = ['tmpfs', 'ramfs'];

/** Judges one tmpdir entry: RAM or dm-crypt passes, anything else on a local disk fails. */
async function judgeTmpdir(path: string, host: HostProbe | undefined): Promise<Verdict> {
  if (!host) {
    const ram = RAM_DIRECTORY_PREFIXES.some((prefix) => `${path}/`.startsWith(prefix));
    return ram
      ? { status: 'pass', observed: `${path} (RAM-backed on Linux)` }
      : { status: 'warn', observed: `${path} (file system not visible from a remote host)` };
  }

  const mount = await host.mountOf(path);
  if (!mount) return { status: 'warn', observed: `${path} does not exist on this host` };
  if (RAM_FILE_SYSTEMS.includes(mount.fsType)) {
    return { status: 'pass', observed: `${path} on ${mount.fsType}` };
  }
  if (await host.isOnEncryptedDevice(path)) {
    return { status: 'pass', observed: `${path} on ${mount.fsType}, dm-crypt ${mount.source}` };
  }
  return {
    status: 'fail',
    observed: `${path} on ${mount.fsType} (${mount.source}), not encrypted`,
  };
}

export const tmpdirPlacement: PostureCheck = {
  id: 'L05',
  group: 'logs and temporary files',
  title: 'tmpdir is in RAM or on an encrypted file system',
  severity: 'high',
  sql: "SHOW GLOBAL VARIABLES WHERE Variable_name = 'tmpdir'",
  expected: 'tmpdir on tmpfs, or on a dm-crypt device',
  advice:
    'tmpdir=/dev/shm/mariadb (a private directory, mode 0700, owned by the server user) under ' +
    '[mariadbd] and restart',
  risk:
    'internal temporary tables (GROUP BY, DISTINCT, derived tables) reach tmpdir in clear even ' +
    'with encrypt_tmp_disk_tables on, as MariaDB 10.11.19 showed',
  baseline: 'open',
  evaluate: async (rows, context) => {
    const value = nameValueMap(rows).get('tmpdir') ?? '';
    const paths = value.split(':').filter((path) => path !== '');
    if (paths.length === 0) return { status: 'fail', observed: 'tmpdir is empty' };

    const verdicts = await Promise.all(paths.map((path) => judgeTmpdir(path, context.host)));
    const worst =
      verdicts.find((verdict) => verdict.status === 'fail') ??
      verdicts.find((verdict) => verdict.status === 'warn') ??
      verdicts[0]!;
    return { status: worst.status, observed: verdicts.map((v) => v.observed).join('; ') };
  },
};

export const errorLog = variableCheck({
  id: 'L06',
  group: 'logs and temporary files',
  title: 'errors and warnings go to an error log file',
  severity: 'low',
  variables: ['log_error', 'log_warnings'],
  expected: 'log_error set, log_warnings >= 2 (records failed logins)',
  advice: 'log_error=/path/error.log and log_warnings=2 under [mariadbd]',
  risk: 'failed and aborted logins leave no trace to investigate',
  baseline: 'open',
  judge: (values) => {
    const file = values.get('log_error') ?? '';
    const warnings = Number(values.get('log_warnings'));
    return {
      status: file !== '' && warnings >= 2 ? 'pass' : 'fail',
      observed: `log_error=${file === '' ? '(standard error)' : file}, log_warnings=${warnings}`,
    };
  },
});

export const auditPlugin: PostureCheck = {
  id: 'L07',
  group: 'logs and temporary files',
  title: 'connections are audited by a plugin that cannot be unloaded',
  severity: 'medium',
  sql:
    'SELECT p.PLUGIN_STATUS, p.LOAD_OPTION, v.VARIABLE_VALUE AS LOGGING ' +
    'FROM information_schema.PLUGINS p LEFT JOIN information_schema.GLOBAL_VARIABLES v ' +
    "ON v.VARIABLE_NAME = 'SERVER_AUDIT_LOGGING' WHERE p.PLUGIN_NAME = 'SERVER_AUDIT'",
  expected: 'server_audit ACTIVE, LOAD_OPTION=FORCE_PLUS_PERMANENT, server_audit_logging=ON',
  advice:
    'plugin_load_add=server_audit, server_audit=FORCE_PLUS_PERMANENT, ' +
    'server_audit_events=CONNECT and server_audit_logging=ON under [mariadbd]',
  risk: 'logins and their origins are not recorded, or an administrator can switch that off',
  policy:
    'whether connections must be audited is decided by the operator’s compliance rules, so a ' +
    'missing audit plugin only warns; an audit plugin that can be removed or is idle fails',
  baseline: 'open',
  evaluate: (rows) => {
    const plugin = rows[0];
    if (!plugin) return { status: 'warn', observed: 'server_audit not loaded' };
    const observed =
      `server_audit ${plugin.PLUGIN_STATUS} ${plugin.LOAD_OPTION}, ` +
      `server_audit_logging=${plugin.LOGGING ?? ''}`;
    const sound =
      plugin.PLUGIN_STATUS === 'ACTIVE' &&
      plugin.LOAD_OPTION === 'FORCE_PLUS_PERMANENT' &&
      isOn(String(plugin.LOGGING ?? ''));
    return { status: sound ? 'pass' : 'fail', observed };
  },
};

// server_audit event classes that record statement text; an empty list means every class.
const STATEMENT_EVENTS = ['QUERY', 'QUERY_DDL', 'QUERY_DML', 'QUERY_DCL', 'QUERY_DML_NO_SELECT'];

export const auditStatementText: PostureCheck = {
  id: 'L08',
  group: 'logs and temporary files',
  title: 'the audit log records no statement text',
  severity: 'high',
  sql: "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_audit_events', 'server_audit_logging')",
  expected: 'server_audit_events without QUERY classes (CONNECT, TABLE)',
  advice: "SET GLOBAL server_audit_events='CONNECT', and the same under [mariadbd]",
  risk: 'audited statements are written with their values to the audit log in clear',
  baseline: 'open',
  evaluate: (rows) => {
    const values = nameValueMap(rows);
    if (!values.has('server_audit_events')) {
      return { status: 'not_applicable', observed: 'server_audit not loaded' };
    }
    const events = values.get('server_audit_events') ?? '';
    const classes = events
      .toUpperCase()
      .split(',')
      .map((event) => event.trim());
    const recordsText =
      events.trim() === '' || classes.some((event) => STATEMENT_EVENTS.includes(event));
    const observed = `server_audit_events=${events === '' ? '(all)' : events}`;
    if (!recordsText) return { status: 'pass', observed };
    return { status: isOn(values.get('server_audit_logging')) ? 'fail' : 'warn', observed };
  },
};

export const sqlErrorLog: PostureCheck = {
  id: 'L09',
  group: 'logs and temporary files',
  title: 'no plugin logs failed statements',
  severity: 'high',
  sql:
    'SELECT PLUGIN_NAME FROM information_schema.PLUGINS ' +
    "WHERE PLUGIN_NAME = 'SQL_ERROR_LOG' AND PLUGIN_STATUS = 'ACTIVE'",
  expected: 'the SQL_ERROR_LOG plugin is not active',
  advice: "UNINSTALL SONAME 'sql_errlog', and remove it from plugin_load_add",
  risk: 'statements that fail are written with their values to sql_errors.log in clear',
  baseline: 'open',
  evaluate: (rows) =>
    rows.length === 0
      ? { status: 'pass', observed: 'not active' }
      : {
          status: 'fail',
          observed: `${listNames(rows.map((row) => String(row.PLUGIN_NAME)))} active`,
        },
};

export const LOG_CHECKS: readonly PostureCheck[] = [
  generalLog,
  slowLog,
  logOutput,
  binlogEncryption,
  tmpdirPlacement,
  errorLog,
  auditPlugin,
  auditStatementText,
  sqlErrorLog,
];
