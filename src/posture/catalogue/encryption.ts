import { listNames, switchCheck, variableCheck } from '../rules.js';
import type { PostureCheck } from '../types.js';

export const innodbTables = variableCheck({
  id: 'E01',
  group: 'encryption at rest',
  title: 'InnoDB encrypts every tablespace',
  severity: 'critical',
  variables: ['innodb_encrypt_tables'],
  expected: 'innodb_encrypt_tables=FORCE',
  advice:
    "SET GLOBAL innodb_encrypt_tables='FORCE', and innodb_encrypt_tables=FORCE under [mariadbd]",
  risk:
    'without it the system and undo tablespaces stay in clear, and undo keeps old row versions ' +
    'of encrypted tables; with ON instead of FORCE, tables can still be created ENCRYPTED=NO',
  baseline: 'open',
  judge: (values) => {
    const value = (values.get('innodb_encrypt_tables') ?? '').toUpperCase();
    const observed = `innodb_encrypt_tables=${value}`;
    if (value === 'FORCE') return { status: 'pass', observed };
    if (value === 'ON') return { status: 'warn', observed };
    return { status: 'fail', observed };
  },
});

export const redoLog = switchCheck({
  id: 'E02',
  group: 'encryption at rest',
  title: 'the redo log is encrypted',
  severity: 'critical',
  variable: 'innodb_encrypt_log',
  expected: 'innodb_encrypt_log=ON',
  advice: 'innodb_encrypt_log=ON under [mariadbd] and restart (the variable is read-only)',
  risk: 'every change is written to ib_logfile0 in clear before it reaches a tablespace',
  baseline: 'required',
});

export const innodbTemporaryTables = switchCheck({
  id: 'E03',
  group: 'encryption at rest',
  title: 'InnoDB temporary tables are encrypted',
  severity: 'high',
  variable: 'innodb_encrypt_temporary_tables',
  expected: 'innodb_encrypt_temporary_tables=ON',
  advice: 'innodb_encrypt_temporary_tables=ON under [mariadbd] and restart',
  risk: 'CREATE TEMPORARY TABLE … ENGINE=InnoDB writes rows to ibtmp1 in clear',
  baseline: 'required',
});

export const temporaryFiles = switchCheck({
  id: 'E04',
  group: 'encryption at rest',
  title: 'temporary files are encrypted',
  severity: 'high',
  variable: 'encrypt_tmp_files',
  expected: 'encrypt_tmp_files=ON',
  advice: 'encrypt_tmp_files=ON under [mariadbd] and restart',
  risk: 'filesort merge files and binlog cache spills reach tmpdir in clear',
  baseline: 'open',
});

export const temporaryDiskTables = switchCheck({
  id: 'E05',
  group: 'encryption at rest',
  title: 'internal on-disk temporary tables are encrypted',
  severity: 'medium',
  variable: 'encrypt_tmp_disk_tables',
  expected: 'encrypt_tmp_disk_tables=ON',
  advice:
    'SET GLOBAL encrypt_tmp_disk_tables=ON, and encrypt_tmp_disk_tables=ON under [mariadbd]; ' +
    'keep tmpdir in RAM as well (L05)',
  risk:
    'GROUP BY, DISTINCT and derived tables spill rows to tmpdir; MariaDB 10.11.19 left them in ' +
    'clear even with this on, so tmpdir placement matters too',
  baseline: 'open',
});

export const ariaTables = switchCheck({
  id: 'E06',
  group: 'encryption at rest',
  title: 'Aria tables are encrypted',
  severity: 'high',
  variable: 'aria_encrypt_tables',
  expected: 'aria_encrypt_tables=ON',
  advice:
    'SET GLOBAL aria_encrypt_tables=ON, aria_encrypt_tables=ON under [mariadbd], then rebuild ' +
    'existing Aria tables with ALTER TABLE … FORCE',
  risk: 'Aria tables, including user temporary tables with ENGINE=Aria, are written in clear',
  baseline: 'open',
});

const PLUGIN_SQL =
  'SELECT PLUGIN_NAME, PLUGIN_STATUS, LOAD_OPTION FROM information_schema.PLUGINS ' +
  "WHERE PLUGIN_TYPE = 'ENCRYPTION'";

export const keyPluginActive: PostureCheck = {
  id: 'E07',
  group: 'encryption at rest',
  title: 'a key management plugin is active',
  severity: 'critical',
  sql: PLUGIN_SQL,
  expected: 'one encryption plugin with PLUGIN_STATUS=ACTIVE',
  advice:
    'plugin_load_add=file_key_management (or hashicorp_key_management) under [mariadbd] with ' +
    'its key source configured, then restart',
  risk: 'no key management plugin means nothing can be encrypted at rest',
  baseline: 'required',
  evaluate: (rows) => {
    if (rows.length === 0) return { status: 'fail', observed: 'no encryption plugin loaded' };
    const observed = listNames(rows.map((row) => `${row.PLUGIN_NAME} ${row.PLUGIN_STATUS}`));
    const active = rows.filter((row) => row.PLUGIN_STATUS === 'ACTIVE');
    return { status: active.length === 1 ? 'pass' : 'fail', observed };
  },
};

export const keyPluginForced: PostureCheck = {
  id: 'E08',
  group: 'encryption at rest',
  title: 'the key management plugin cannot be skipped or unloaded',
  severity: 'high',
  sql: PLUGIN_SQL,
  expected: 'LOAD_OPTION=FORCE_PLUS_PERMANENT (or FORCE)',
  advice:
    'file_key_management=FORCE_PLUS_PERMANENT under [mariadbd] (use the name of the loaded plugin)',
  risk:
    'if the plugin fails to load the server starts anyway and reports encrypted tables as ' +
    'corrupted; an administrator can UNINSTALL it at run time',
  baseline: 'open',
  evaluate: (rows) => {
    const plugin = rows.find((row) => row.PLUGIN_STATUS === 'ACTIVE');
    if (!plugin) return { status: 'not_applicable', observed: 'no active encryption plugin' };
    const option = String(plugin.LOAD_OPTION);
    const forced = option === 'FORCE' || option === 'FORCE_PLUS_PERMANENT';
    return {
      status: forced ? 'pass' : 'fail',
      observed: `${plugin.PLUGIN_NAME} loaded ${option}`,
      advice: `${String(plugin.PLUGIN_NAME)}=FORCE_PLUS_PERMANENT under [mariadbd] and restart`,
    };
  },
};

/** The encryption variables a DBA looks at first, then the key management plugin. */
export const ENCRYPTION_FIRST_LOOK: readonly PostureCheck[] = [
  innodbTables,
  redoLog,
  innodbTemporaryTables,
  temporaryFiles,
  temporaryDiskTables,
  ariaTables,
  keyPluginActive,
  keyPluginForced,
];
