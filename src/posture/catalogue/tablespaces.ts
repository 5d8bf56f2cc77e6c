import { listNames, noRowsCheck, switchCheck, variableCheck } from '../rules.js';
import type { PostureCheck, Row } from '../types.js';

export const encryptionThreads = variableCheck({
  id: 'E09',
  group: 'encryption at rest',
  title: 'background encryption threads run',
  severity: 'high',
  variables: ['innodb_encryption_threads'],
  expected: 'innodb_encryption_threads > 0',
  advice:
    'SET GLOBAL innodb_encryption_threads=4, and innodb_encryption_threads=4 under [mariadbd]',
  risk: 'existing tablespaces are never encrypted (or re-encrypted) when settings change',
  baseline: 'required',
  judge: (values) => {
    const threads = Number(values.get('innodb_encryption_threads'));
    return {
      status: threads > 0 ? 'pass' : 'fail',
      observed: `innodb_encryption_threads=${values.get('innodb_encryption_threads')}`,
    };
  },
});

const UNENCRYPTED_TABLESPACES =
  'SELECT t.NAME FROM information_schema.INNODB_SYS_TABLESPACES t ' +
  'LEFT JOIN information_schema.INNODB_TABLESPACES_ENCRYPTION e ON e.SPACE = t.SPACE ' +
  'WHERE IFNULL(e.ENCRYPTION_SCHEME, 0) = 0';

// information_schema.TABLES shows the table option as `ENCRYPTED`='NO' in CREATE_OPTIONS.
const ENCRYPTED_NO = "'%`ENCRYPTED`=''NO''%'";

/** Formats InnoDB tablespace names (`db/table`) as SQL names (`db.table`). */
function listTablespaces(rows: readonly Row[]): string {
  return listNames(rows.map((row) => String(row.NAME).replace('/', '.')));
}

// innodb_temporary never appears in INNODB_TABLESPACES_ENCRYPTION; E03 covers it.
export const systemTablespaces = noRowsCheck({
  id: 'E10',
  group: 'encryption at rest',
  title: 'system, undo and mysql-schema tablespaces are encrypted',
  severity: 'critical',
  sql:
    `${UNENCRYPTED_TABLESPACES} AND (t.NAME = 'innodb_system' ` +
    "OR t.NAME LIKE 'innodb\\_undo%' OR t.NAME LIKE 'mysql/%')",
  expected: 'every system, undo and mysql-schema tablespace encrypted',
  advice:
    'innodb_encrypt_tables=FORCE with innodb_encryption_threads > 0: the background threads ' +
    'encrypt these tablespaces',
  risk: 'undo records in these tablespaces keep old versions of rows from encrypted tables',
  baseline: 'open',
  passed: 'all encrypted',
  describe: (rows) => `not encrypted: ${listTablespaces(rows)}`,
});

export const userTablespaces = noRowsCheck({
  id: 'E11',
  group: 'encryption at rest',
  title: 'user tables are encrypted',
  severity: 'critical',
  // Tables created ENCRYPTED=NO are left to E13, so each cause is reported once.
  sql:
    `${UNENCRYPTED_TABLESPACES} AND t.NAME LIKE '%/%' AND t.NAME NOT LIKE 'mysql/%' ` +
    'AND NOT EXISTS (SELECT 1 FROM information_schema.TABLES x ' +
    `WHERE x.CREATE_OPTIONS LIKE ${ENCRYPTED_NO} ` +
    "AND (t.NAME = CONCAT(x.TABLE_SCHEMA, '/', x.TABLE_NAME) " +
    "OR t.NAME LIKE CONCAT(x.TABLE_SCHEMA, '/', x.TABLE_NAME, '#P#%')))",
  expected: 'every user tablespace encrypted',
  advice:
    "ALTER TABLE db.table ENCRYPTED='YES' for each table listed, or innodb_encrypt_tables=FORCE",
  risk: 'the rows of these tables are stored in clear',
  baseline: 'required',
  passed: 'all encrypted',
  describe: (rows) => `not encrypted: ${listTablespaces(rows)}`,
});

export const encryptionFinished: PostureCheck = {
  id: 'E12',
  group: 'encryption at rest',
  title: 'background encryption has finished',
  severity: 'high',
  sql:
    'SELECT NAME, KEY_ROTATION_PAGE_NUMBER, KEY_ROTATION_MAX_PAGE_NUMBER, ' +
    '@@GLOBAL.innodb_encryption_threads AS THREADS ' +
    'FROM information_schema.INNODB_TABLESPACES_ENCRYPTION ' +
    'WHERE KEY_ROTATION_PAGE_NUMBER IS NOT NULL OR ROTATING_OR_FLUSHING = 1 ' +
    'OR (ENCRYPTION_SCHEME = 1 AND MIN_KEY_VERSION = 0)',
  expected: 'no tablespace still being encrypted or left with pages in clear',
  advice:
    'wait for the encryption threads and run the check again; if nothing rotates, ' +
    'SET GLOBAL innodb_encryption_threads=4',
  risk: 'pages not yet rewritten are still in clear on disk',
  baseline: 'required',
  evaluate: (rows) => {
    if (rows.length === 0) return { status: 'pass', observed: 'no tablespace in progress' };
    // The background threads finish a tablespace marked for encryption (scheme 1) whose pages
    // are still at key version 0. Without threads it stays half in clear.
    if (Number(rows[0]?.THREADS) === 0) {
      return {
        status: 'fail',
        observed: `stalled with pages in clear: ${listNames(rows.map((row) => String(row.NAME)))}`,
        advice:
          'SET GLOBAL innodb_encryption_threads=4 (and innodb_encryption_threads=4 under ' +
          '[mariadbd]) so the remaining pages get encrypted',
      };
    }
    const names = rows.map((row) =>
      row.KEY_ROTATION_PAGE_NUMBER == null
        ? `${row.NAME} (waiting)`
        : `${row.NAME} page ${row.KEY_ROTATION_PAGE_NUMBER} of ${row.KEY_ROTATION_MAX_PAGE_NUMBER ?? '?'}`,
    );
    return { status: 'warn', observed: `in progress: ${listNames(names)}` };
  },
};

export const explicitlyUnencrypted = noRowsCheck({
  id: 'E13',
  group: 'encryption at rest',
  title: "no table is created ENCRYPTED='NO'",
  severity: 'high',
  sql:
    'SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES ' +
    `WHERE CREATE_OPTIONS LIKE ${ENCRYPTED_NO}`,
  expected: "no table with ENCRYPTED='NO'",
  advice:
    "ALTER TABLE db.table ENCRYPTED='YES' for each table listed, then " +
    'innodb_encrypt_tables=FORCE so no new one can be created',
  risk: 'the table opts out of encryption whatever innodb_encrypt_tables says',
  baseline: 'required',
  passed: 'none',
  describe: (rows) => listNames(rows.map((row) => `${row.TABLE_SCHEMA}.${row.TABLE_NAME}`)),
});

// Engines whose tables are either encrypted (InnoDB, Aria with ROW_FORMAT=PAGE) or never stored
// on disk (MEMORY, BLACKHOLE, SEQUENCE).
const SAFE_ENGINES = "('InnoDB', 'Aria', 'MEMORY', 'BLACKHOLE', 'SEQUENCE')";

export const unencryptableEngines = noRowsCheck({
  id: 'E14',
  group: 'encryption at rest',
  title: 'no table uses an engine that cannot be encrypted',
  severity: 'high',
  sql:
    'SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE, ROW_FORMAT FROM information_schema.TABLES ' +
    "WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') " +
    "AND TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema') " +
    "AND NOT (TABLE_SCHEMA = 'mysql' AND TABLE_NAME IN ('general_log', 'slow_log')) " +
    `AND (IFNULL(ENGINE, '') NOT IN ${SAFE_ENGINES} ` +
    "OR (ENGINE = 'Aria' AND ROW_FORMAT <> 'Page'))",
  expected: 'every table in InnoDB, or in Aria with ROW_FORMAT=PAGE',
  advice: 'ALTER TABLE db.table ENGINE=InnoDB (or ENGINE=Aria ROW_FORMAT=PAGE) for each one',
  risk: 'MyISAM, CSV and ARCHIVE tables, and Aria tables in DYNAMIC or FIXED format, are never encrypted',
  baseline: 'required',
  passed: 'none',
  describe: (rows) =>
    listNames(
      rows.map((row) => {
        const format = row.ENGINE === 'Aria' ? ` ${row.ROW_FORMAT}` : '';
        return `${row.TABLE_SCHEMA}.${row.TABLE_NAME} (${row.ENGINE ?? 'no engine'}${format})`;
      }),
    ),
});

export const innodbOnly = variableCheck({
  id: 'E17',
  group: 'encryption at rest',
  title: 'new tables can only use InnoDB',
  severity: 'medium',
  variables: ['enforce_storage_engine'],
  expected: 'enforce_storage_engine=InnoDB',
  advice: "SET GLOBAL enforce_storage_engine='InnoDB', and the same under [mariadbd]",
  risk:
    'an application can create Aria or MyISAM tables, whose changes go to the Aria log or to ' +
    'table files that are never encrypted',
  baseline: 'open',
  judge: (values) => {
    const value = values.get('enforce_storage_engine') ?? '';
    return {
      status: value.toLowerCase() === 'innodb' ? 'pass' : 'fail',
      observed: `enforce_storage_engine=${value === '' ? 'NULL' : value}`,
    };
  },
});

export const userAriaTables = noRowsCheck({
  id: 'E18',
  group: 'encryption at rest',
  title: 'no user table uses Aria',
  severity: 'medium',
  sql:
    'SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES ' +
    "WHERE ENGINE = 'Aria' AND TABLE_TYPE = 'BASE TABLE' " +
    "AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')",
  expected: 'no Aria table outside the system schemas',
  advice: 'ALTER TABLE db.table ENGINE=InnoDB for each one',
  risk:
    'every change to an Aria table is written to the Aria log (aria_log.*), which MariaDB never ' +
    'encrypts, even with aria_encrypt_tables=ON',
  baseline: 'open',
  status: 'fail',
  passed: 'none',
  describe: (rows) => listNames(rows.map((row) => `${row.TABLE_SCHEMA}.${row.TABLE_NAME}`)),
});

export const scrubbing = switchCheck({
  id: 'E15',
  group: 'encryption at rest',
  title: 'freed pages are zeroed',
  severity: 'medium',
  variable: 'innodb_immediate_scrub_data_uncompressed',
  expected: 'innodb_immediate_scrub_data_uncompressed=ON',
  advice: 'SET GLOBAL innodb_immediate_scrub_data_uncompressed=ON, and the same under [mariadbd]',
  risk: 'deleted rows stay readable in freed pages until they are reused',
  baseline: 'open',
});

export const cipherMode = variableCheck({
  id: 'E16',
  group: 'encryption at rest',
  title: 'file_key_management uses AES-CTR',
  severity: 'low',
  variables: ['file_key_management_encryption_algorithm'],
  expected: 'file_key_management_encryption_algorithm=aes_ctr',
  advice:
    'file_key_management_encryption_algorithm=aes_ctr for a new data directory; an existing ' +
    'one cannot switch in place, so move its data with a dump and restore',
  risk: 'aes_cbc has no authenticated mode; aes_ctr uses AES-GCM where InnoDB allows padding',
  baseline: 'open',
  judge: (values) => {
    const value = values.get('file_key_management_encryption_algorithm') ?? '';
    return {
      status: value.toLowerCase() === 'aes_ctr' ? 'pass' : 'fail',
      observed: `file_key_management_encryption_algorithm=${value}`,
    };
  },
});

export const TABLESPACE_CHECKS: readonly PostureCheck[] = [
  encryptionThreads,
  systemTablespaces,
  userTablespaces,
  encryptionFinished,
  explicitlyUnencrypted,
  unencryptableEngines,
  innodbOnly,
  userAriaTables,
  scrubbing,
  cipherMode,
];
