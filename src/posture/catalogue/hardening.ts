import { isOn, listNames, noRowsCheck, switchCheck, variableCheck } from '../rules.js';
import type { PostureCheck } from '../types.js';
import { parseServerVersion, seriesStatus } from '../version.js';
import {
  administrativeHolders,
  fileHolders,
  mysqlSchemaGrants,
  processHolders,
} from './privileges.js';

export const maintainedVersion: PostureCheck = {
  id: 'H01',
  group: 'general hardening',
  title: 'the release series is still maintained',
  severity: 'high',
  sql: 'SELECT VERSION() AS VERSION',
  expected: 'a long-term series before its end of life (10.11, 11.4, 11.8)',
  advice: 'upgrade to a maintained long-term release and keep up with its patch releases',
  risk: 'security fixes published after the end of life never reach this server',
  baseline: 'open',
  evaluate: (rows, context) => {
    const text = String(rows[0]?.VERSION ?? context.version.text);
    const version = parseServerVersion(text);
    const series = seriesStatus(version, context.now);
    const name = `${version.major}.${version.minor}`;
    switch (series.kind) {
      case 'maintained':
        return {
          status: 'pass',
          observed: `${text} (${name} maintained until ${series.endOfLife})`,
        };
      case 'ended':
        return {
          status: 'fail',
          observed: series.endOfLife
            ? `${text} (${name} maintenance ended ${series.endOfLife})`
            : `${text} (${name} is a short-term series that has ended)`,
        };
      case 'unknown':
        return {
          status: 'warn',
          observed: `${text} (${name} is newer than the long-term series this check knows)`,
        };
    }
  },
};

export const localInfile = switchCheck({
  id: 'H02',
  group: 'general hardening',
  title: 'clients cannot make the server read their files',
  severity: 'medium',
  variable: 'local_infile',
  want: 'OFF',
  expected: 'local_infile=OFF',
  advice: 'SET GLOBAL local_infile=OFF, and local_infile=0 under [mariadbd]',
  risk: 'a malicious server or proxy can read files from clients that allow LOAD DATA LOCAL',
  baseline: 'open',
});

export const secureFilePriv: PostureCheck = {
  id: 'H03',
  group: 'general hardening',
  title: 'file import and export are confined',
  severity: 'medium',
  sql: 'SELECT @@GLOBAL.secure_file_priv AS VALUE, @@GLOBAL.datadir AS DATADIR',
  expected: 'secure_file_priv set to a dedicated directory outside the data directory',
  advice:
    'secure_file_priv=/var/lib/mysql-files (a directory only for this) under [mariadbd] and restart',
  risk:
    'LOAD DATA INFILE, LOAD_FILE() and SELECT … INTO OUTFILE reach every file the server can ' +
    'read or write',
  baseline: 'open',
  // Unlike MySQL, MariaDB treats NULL (unset) like '': no restriction at all (10.11.19 read
  // /etc/hostname through LOAD_FILE with it unset).
  evaluate: (rows) => {
    const value = String(rows[0]?.VALUE ?? '');
    const datadir = String(rows[0]?.DATADIR ?? '');
    if (value === '') return { status: 'fail', observed: 'not set (any directory)' };
    const directory = `${value.replace(/\/$/, '')}/`;
    const overlaps =
      datadir !== '' && (directory.startsWith(datadir) || datadir.startsWith(directory));
    return overlaps
      ? { status: 'fail', observed: `secure_file_priv=${value} (overlaps the data directory)` }
      : { status: 'pass', observed: `secure_file_priv=${value}` };
  },
};

export const symbolicLinks = variableCheck({
  id: 'H04',
  group: 'general hardening',
  title: 'table files cannot be symbolic links',
  severity: 'low',
  variables: ['have_symlink'],
  expected: 'have_symlink=DISABLED',
  advice: 'symbolic_links=0 under [mariadbd] and restart',
  risk: 'DATA DIRECTORY and INDEX DIRECTORY can place table files outside the encrypted data path',
  baseline: 'open',
  judge: (values) => {
    const value = values.get('have_symlink') ?? '';
    return { status: value === 'YES' ? 'fail' : 'pass', observed: `have_symlink=${value}` };
  },
});

export const nameResolution = switchCheck({
  id: 'H05',
  group: 'general hardening',
  title: 'client host names are not resolved',
  severity: 'low',
  variable: 'skip_name_resolve',
  expected: 'skip_name_resolve=ON',
  advice: 'skip_name_resolve=ON under [mariadbd] and restart; name accounts by IP address',
  risk: 'whoever controls reverse DNS can match host-name accounts',
  baseline: 'open',
});

export const strictMode = variableCheck({
  id: 'H06',
  group: 'general hardening',
  title: 'SQL mode is strict',
  severity: 'low',
  variables: ['sql_mode'],
  expected: 'sql_mode with STRICT_TRANS_TABLES or STRICT_ALL_TABLES',
  advice:
    "SET GLOBAL sql_mode='STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION' " +
    'and the same under [mariadbd]',
  risk: 'invalid or oversized values are silently truncated instead of rejected',
  baseline: 'open',
  judge: (values) => {
    const modes = (values.get('sql_mode') ?? '').split(',');
    const strict = modes.includes('STRICT_TRANS_TABLES') || modes.includes('STRICT_ALL_TABLES');
    return { status: strict ? 'pass' : 'fail', observed: `sql_mode=${values.get('sql_mode')}` };
  },
});

export const testDatabase = noRowsCheck({
  id: 'H07',
  group: 'general hardening',
  title: 'no test database and no grants on test% databases',
  severity: 'medium',
  sql:
    "SELECT CONCAT('database ', SCHEMA_NAME) AS OBJECT FROM information_schema.SCHEMATA " +
    "WHERE SCHEMA_NAME = 'test' UNION ALL " +
    "SELECT CONCAT('grant on ', Db, ' to ''', User, '''@''', Host, '''') FROM mysql.db " +
    "WHERE Db LIKE 'test%'",
  expected: 'no database named test and no grants on test% databases',
  advice: "DROP DATABASE test; DELETE FROM mysql.db WHERE Db LIKE 'test%'; FLUSH PRIVILEGES",
  risk: 'every account may create and fill test% databases, which escape the data review',
  baseline: 'open',
  passed: 'none',
  describe: (rows) => listNames(rows.map((row) => String(row.OBJECT))),
});

export const suspiciousUdfs = variableCheck({
  id: 'H12',
  group: 'general hardening',
  title: 'UDFs without the required symbols cannot be loaded',
  severity: 'low',
  variables: ['allow_suspicious_udfs'],
  expected: 'allow_suspicious_udfs=OFF',
  advice: 'remove allow_suspicious_udfs from the server options and restart',
  risk: 'CREATE FUNCTION … SONAME can call any exported function of any shared library',
  baseline: 'open',
  judge: (values) => {
    const value = values.get('allow_suspicious_udfs') ?? '';
    return { status: isOn(value) ? 'fail' : 'pass', observed: `allow_suspicious_udfs=${value}` };
  },
});

export const HARDENING_CHECKS: readonly PostureCheck[] = [
  maintainedVersion,
  localInfile,
  secureFilePriv,
  symbolicLinks,
  nameResolution,
  strictMode,
  testDatabase,
  fileHolders,
  administrativeHolders,
  processHolders,
  mysqlSchemaGrants,
  suspiciousUdfs,
];
