import { chmod } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateLayout } from '../../src/mariadb/layout.js';
import { LEAF_VALIDITY_DAYS, generateTlsMaterial } from '../../src/mariadb/tls.js';
import { CATALOGUE } from '../../src/posture/catalogue/index.js';
import { checkPosture, localCheckConnection } from '../../src/posture/check.js';
import type { PostureReport } from '../../src/posture/types.js';
import { mariadbAvailable } from '../helpers/mariadb.js';
import {
  changedChecks,
  checkLocal,
  findingOf,
  runSql,
  startHardenedServer,
  strongPassword,
  withServerCertificate,
} from '../helpers/posture.js';

const available = await mariadbAvailable();
const PASSWORD = strongPassword();
const DAY_MS = 24 * 60 * 60 * 1000;

/** A change that breaks one rule, made and undone over SQL while the server runs. */
interface Violation {
  readonly check: string;
  readonly when: string;
  readonly status: 'fail' | 'warn';
  readonly observed: RegExp;
  readonly apply: readonly string[];
  readonly revert: readonly string[];
  /** Checks that must change too, because the violation implies them. */
  readonly alsoChanges?: readonly string[];
}

const user = (name: string, host: string, extra = '') =>
  `CREATE USER '${name}'@'${host}' IDENTIFIED BY '${PASSWORD}'${extra}`;

const VIOLATIONS: readonly Violation[] = [
  {
    check: 'T03',
    when: 'require_secure_transport is OFF',
    status: 'fail',
    observed: /require_secure_transport=OFF/,
    apply: ['SET GLOBAL require_secure_transport=OFF'],
    revert: ['SET GLOBAL require_secure_transport=ON'],
  },
  {
    check: 'T07',
    when: 'a remote account lacks REQUIRE SSL while TLS is enforced',
    status: 'warn',
    observed: /'app'@'10\.0\.0\.5' \(require_secure_transport is ON\)/,
    apply: [user('app', '10.0.0.5')],
    revert: ["DROP USER 'app'@'10.0.0.5'"],
  },
  {
    check: 'T07',
    when: 'a remote account lacks REQUIRE SSL and TLS is optional',
    status: 'fail',
    observed: /^'app'@'10\.0\.0\.5'$/,
    apply: [user('app', '10.0.0.5'), 'SET GLOBAL require_secure_transport=OFF'],
    revert: ["DROP USER 'app'@'10.0.0.5'", 'SET GLOBAL require_secure_transport=ON'],
    alsoChanges: ['T03'],
  },
  {
    check: 'T08',
    when: 'a replication channel has no TLS',
    status: 'fail',
    observed: /default to 127\.0\.0\.1: no TLS/,
    apply: [
      "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=9, MASTER_USER='repl', MASTER_SSL=0",
    ],
    revert: ['RESET SLAVE ALL'],
  },
  {
    check: 'T08',
    when: 'a replication channel does not verify the certificate',
    status: 'fail',
    observed: /default to 127\.0\.0\.1: certificate not verified/,
    apply: [
      "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=9, MASTER_USER='repl', " +
        'MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0',
    ],
    revert: ['RESET SLAVE ALL'],
  },
  {
    check: 'E01',
    when: 'innodb_encrypt_tables is ON instead of FORCE',
    status: 'warn',
    observed: /innodb_encrypt_tables=ON/,
    apply: ['SET GLOBAL innodb_encrypt_tables=ON'],
    revert: ["SET GLOBAL innodb_encrypt_tables='FORCE'"],
  },
  {
    check: 'E05',
    when: 'encrypt_tmp_disk_tables is OFF',
    status: 'fail',
    observed: /encrypt_tmp_disk_tables=OFF/,
    apply: ['SET GLOBAL encrypt_tmp_disk_tables=OFF'],
    revert: ['SET GLOBAL encrypt_tmp_disk_tables=ON'],
  },
  {
    check: 'E06',
    when: 'aria_encrypt_tables is OFF',
    status: 'fail',
    observed: /aria_encrypt_tables=OFF/,
    apply: ['SET GLOBAL aria_encrypt_tables=OFF'],
    revert: ['SET GLOBAL aria_encrypt_tables=ON'],
  },
  {
    check: 'E09',
    when: 'no encryption thread runs',
    status: 'fail',
    observed: /innodb_encryption_threads=0/,
    apply: ['SET GLOBAL innodb_encryption_threads=0'],
    revert: ['SET GLOBAL innodb_encryption_threads=4'],
  },
  {
    check: 'E14',
    when: 'a MyISAM table exists',
    status: 'fail',
    observed: /^probe\.t_myisam \(MyISAM\)$/,
    apply: [
      'SET SESSION enforce_storage_engine=NULL',
      'CREATE TABLE probe.t_myisam (id INT) ENGINE=MyISAM',
    ],
    revert: ['DROP TABLE probe.t_myisam'],
  },
  {
    check: 'E14',
    when: 'an Aria table has ROW_FORMAT=DYNAMIC',
    status: 'fail',
    observed: /^probe\.t_aria \(Aria Dynamic\)$/,
    apply: [
      'SET SESSION enforce_storage_engine=NULL',
      'CREATE TABLE probe.t_aria (id INT) ENGINE=Aria ROW_FORMAT=DYNAMIC',
    ],
    revert: ['DROP TABLE probe.t_aria'],
    alsoChanges: ['E18'],
  },
  {
    check: 'E17',
    when: 'enforce_storage_engine is unset',
    status: 'fail',
    observed: /enforce_storage_engine=NULL/,
    apply: ['SET GLOBAL enforce_storage_engine=NULL'],
    revert: ["SET GLOBAL enforce_storage_engine='InnoDB'"],
  },
  {
    check: 'E18',
    when: 'a user table uses Aria',
    status: 'fail',
    observed: /^probe\.t_cache$/,
    apply: [
      'SET SESSION enforce_storage_engine=NULL',
      'CREATE TABLE probe.t_cache (id INT) ENGINE=Aria',
    ],
    revert: ['DROP TABLE probe.t_cache'],
  },
  {
    check: 'E15',
    when: 'freed pages are not scrubbed',
    status: 'fail',
    observed: /innodb_immediate_scrub_data_uncompressed=OFF/,
    apply: ['SET GLOBAL innodb_immediate_scrub_data_uncompressed=OFF'],
    revert: ['SET GLOBAL innodb_immediate_scrub_data_uncompressed=ON'],
  },
  {
    check: 'A01',
    when: 'an anonymous account exists',
    status: 'fail',
    observed: /^''@'localhost'$/,
    apply: [user('', 'localhost')],
    revert: ["DROP USER ''@'localhost'"],
  },
  {
    check: 'A02',
    when: 'root may log in from another host',
    status: 'fail',
    observed: /^'root'@'10\.0\.0\.9'$/,
    apply: [user('root', '10.0.0.9', ' REQUIRE SSL')],
    revert: ["DROP USER 'root'@'10.0.0.9'"],
  },
  {
    check: 'A03',
    when: 'an account names a subnet',
    status: 'warn',
    observed: /^'app'@'10\.0\.0\.%'$/,
    apply: [user('app', '10.0.0.%', ' REQUIRE SSL')],
    revert: ["DROP USER 'app'@'10.0.0.%'"],
  },
  {
    check: 'A04',
    when: 'an account on any host holds GRANT OPTION',
    status: 'fail',
    observed: /^'dba'@'%'$/,
    apply: [user('dba', '%', ' REQUIRE SSL'), "GRANT SELECT ON *.* TO 'dba'@'%' WITH GRANT OPTION"],
    revert: ["DROP USER 'dba'@'%'"],
    // Every account that A04 reports has a host pattern, which A03 reports as well.
    alsoChanges: ['A03'],
  },
  {
    check: 'A05',
    when: 'an account has an empty password',
    status: 'fail',
    observed: /^'nopass'@'localhost'$/,
    apply: [
      user('nopass', 'localhost'),
      "UPDATE mysql.global_priv SET Priv = JSON_SET(Priv, '$.authentication_string', '') WHERE User = 'nopass'",
      'FLUSH PRIVILEGES',
    ],
    revert: ["DROP USER 'nopass'@'localhost'"],
  },
  {
    check: 'A06',
    when: 'an account has a pre-4.1 hash',
    status: 'fail',
    observed: /^'old'@'localhost'$/,
    apply: [
      user('old', 'localhost'),
      "UPDATE mysql.global_priv SET Priv = JSON_SET(Priv, '$.authentication_string', '0123456789abcdef') WHERE User = 'old'",
      'FLUSH PRIVILEGES',
    ],
    revert: ["DROP USER 'old'@'localhost'"],
  },
  {
    check: 'A07',
    when: 'old_passwords is ON',
    status: 'fail',
    observed: /old_passwords=ON/,
    apply: ['SET GLOBAL old_passwords=ON'],
    revert: ['SET GLOBAL old_passwords=OFF'],
  },
  {
    check: 'A08',
    when: 'no password validation plugin is active',
    status: 'fail',
    observed: /none active/,
    apply: ["UNINSTALL SONAME 'simple_password_check'"],
    revert: ["INSTALL SONAME 'simple_password_check'"],
  },
  {
    check: 'A09',
    when: 'strict_password_validation is OFF',
    status: 'fail',
    observed: /strict_password_validation=OFF/,
    apply: ['SET GLOBAL strict_password_validation=OFF'],
    revert: ['SET GLOBAL strict_password_validation=ON'],
  },
  {
    check: 'A10',
    when: 'passwords never expire',
    status: 'warn',
    observed: /default_password_lifetime=0/,
    apply: ['SET GLOBAL default_password_lifetime=0'],
    revert: ['SET GLOBAL default_password_lifetime=365'],
  },
  {
    check: 'A11',
    when: 'wrong passwords never lock an account',
    status: 'warn',
    observed: /max_password_errors unlimited/,
    apply: ['SET GLOBAL max_password_errors=4294967295'],
    revert: ['SET GLOBAL max_password_errors=10'],
  },
  {
    check: 'L01',
    when: 'the general log is on',
    status: 'fail',
    observed: /general_log=ON/,
    apply: ['SET GLOBAL general_log=ON'],
    revert: ['SET GLOBAL general_log=OFF'],
  },
  {
    check: 'L02',
    when: 'the slow log is on',
    status: 'fail',
    observed: /slow_query_log=ON/,
    apply: ['SET GLOBAL slow_query_log=ON'],
    revert: ['SET GLOBAL slow_query_log=OFF'],
  },
  {
    check: 'L03',
    when: 'logs go to tables',
    status: 'fail',
    observed: /log_output=TABLE/,
    apply: ["SET GLOBAL log_output='TABLE'"],
    revert: ["SET GLOBAL log_output='FILE'"],
  },
  {
    check: 'L06',
    when: 'failed logins are not logged',
    status: 'fail',
    observed: /log_warnings=1$/,
    apply: ['SET GLOBAL log_warnings=1'],
    revert: ['SET GLOBAL log_warnings=2'],
  },
  {
    check: 'L07',
    when: 'audit logging is switched off',
    status: 'fail',
    observed: /server_audit_logging=OFF/,
    apply: ['SET GLOBAL server_audit_logging=OFF'],
    revert: ['SET GLOBAL server_audit_logging=ON'],
  },
  {
    check: 'L08',
    when: 'the audit log records queries',
    status: 'fail',
    observed: /server_audit_events=CONNECT,QUERY/,
    apply: ["SET GLOBAL server_audit_events='CONNECT,QUERY'"],
    revert: ["SET GLOBAL server_audit_events='CONNECT'"],
  },
  {
    check: 'L09',
    when: 'the SQL error log plugin is active',
    status: 'fail',
    observed: /SQL_ERROR_LOG active/,
    apply: ["INSTALL SONAME 'sql_errlog'"],
    revert: ["UNINSTALL SONAME 'sql_errlog'"],
  },
  {
    check: 'H02',
    when: 'local_infile is ON',
    status: 'fail',
    observed: /local_infile=ON/,
    apply: ['SET GLOBAL local_infile=ON'],
    revert: ['SET GLOBAL local_infile=OFF'],
  },
  {
    check: 'H06',
    when: 'sql_mode is not strict',
    status: 'fail',
    observed: /^sql_mode=$/,
    apply: ["SET GLOBAL sql_mode=''"],
    revert: [
      "SET GLOBAL sql_mode='STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION'",
    ],
  },
  {
    check: 'H07',
    when: 'a test database exists',
    status: 'fail',
    observed: /^database test$/,
    apply: ['CREATE DATABASE test'],
    revert: ['DROP DATABASE test'],
  },
  {
    check: 'H07',
    when: 'an account has a grant on test_%',
    status: 'fail',
    observed: /grant on test\\_% to 'app'@'localhost'/,
    apply: [user('app', 'localhost'), "GRANT ALL ON `test\\_%`.* TO 'app'@'localhost'"],
    revert: ["DROP USER 'app'@'localhost'"],
  },
  {
    check: 'H08',
    when: 'a remote account holds FILE',
    status: 'fail',
    observed: /^'etl'@'10\.0\.0\.5'$/,
    apply: [user('etl', '10.0.0.5', ' REQUIRE SSL'), "GRANT FILE ON *.* TO 'etl'@'10.0.0.5'"],
    revert: ["DROP USER 'etl'@'10.0.0.5'"],
  },
  {
    check: 'H09',
    when: 'a remote account holds SHUTDOWN',
    status: 'warn',
    observed: /^'ops'@'10\.0\.0\.6'$/,
    apply: [user('ops', '10.0.0.6', ' REQUIRE SSL'), "GRANT SHUTDOWN ON *.* TO 'ops'@'10.0.0.6'"],
    revert: ["DROP USER 'ops'@'10.0.0.6'"],
  },
  {
    check: 'H10',
    when: 'a remote account holds PROCESS',
    status: 'warn',
    observed: /^'mon'@'10\.0\.0\.7'$/,
    apply: [user('mon', '10.0.0.7', ' REQUIRE SSL'), "GRANT PROCESS ON *.* TO 'mon'@'10.0.0.7'"],
    revert: ["DROP USER 'mon'@'10.0.0.7'"],
  },
  {
    check: 'H11',
    when: 'an account may read the mysql schema',
    status: 'fail',
    observed: /^'app'@'10\.0\.0\.8' on mysql\.\*$/,
    apply: [user('app', '10.0.0.8', ' REQUIRE SSL'), "GRANT SELECT ON mysql.* TO 'app'@'10.0.0.8'"],
    revert: ["DROP USER 'app'@'10.0.0.8'"],
  },
  {
    check: 'H11',
    when: 'an account may read mysql.global_priv',
    status: 'fail',
    observed: /^'app'@'10\.0\.0\.8' on mysql\.global_priv$/,
    apply: [
      user('app', '10.0.0.8', ' REQUIRE SSL'),
      "GRANT SELECT ON mysql.global_priv TO 'app'@'10.0.0.8'",
    ],
    revert: ["DROP USER 'app'@'10.0.0.8'"],
  },
];

describe.skipIf(!available)('posture of the hardened server', () => {
  let server: Awaited<ReturnType<typeof startHardenedServer>>;
  let clean: PostureReport;

  beforeAll(async () => {
    server = await startHardenedServer();
    await runSql(server.dir, ['CREATE DATABASE probe']);
    clean = await checkLocal(server.dir);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('passes every check', () => {
    // T08 has nothing to judge on a server without replication channels.
    const open = clean.findings.filter(
      (f) => f.status !== 'pass' && !(f.id === 'T08' && f.status === 'not_applicable'),
    );
    expect(open).toEqual([]);
    expect(clean.findings).toHaveLength(CATALOGUE.length);
    expect(clean.passed).toBe(true);
    expect(clean.verified).toBe(true);
    expect(clean.server.local).toBe(true);
  });

  it.each(VIOLATIONS)('$check reports $status when $when', async (violation) => {
    await runSql(server.dir, violation.apply);
    let report: PostureReport;
    try {
      report = await checkLocal(server.dir);
    } finally {
      await runSql(server.dir, violation.revert);
    }

    const finding = findingOf(report, violation.check);
    expect(finding.status).toBe(violation.status);
    expect(finding.observed).toMatch(violation.observed);
    expect(changedChecks(clean, report)).toEqual(
      [violation.check, ...(violation.alsoChanges ?? [])].sort(),
    );
    expect(changedChecks(clean, await checkLocal(server.dir))).toEqual([]);
  });

  it('K02 judges the key file mode', async () => {
    const keyFile = stateLayout(server.dir).encryptedKeyFile;
    try {
      await chmod(keyFile, 0o644);
      const readable = await checkLocal(server.dir);
      expect(findingOf(readable, 'K02').status).toBe('fail');
      expect(findingOf(readable, 'K02').observed).toContain(`${keyFile} mode 0644`);
      expect(changedChecks(clean, readable)).toEqual(['K02']);

      await chmod(keyFile, 0o640);
      const groupReadable = await checkLocal(server.dir);
      expect(findingOf(groupReadable, 'K02').status).toBe('warn');
      expect(findingOf(groupReadable, 'K02').observed).toContain('mode 0640');
    } finally {
      await chmod(keyFile, 0o600);
    }
  });

  it('K02 covers the passphrase file as well', async () => {
    try {
      await chmod(server.filekeyPath, 0o604);
      const report = await checkLocal(server.dir);
      expect(findingOf(report, 'K02').status).toBe('fail');
      expect(findingOf(report, 'K02').observed).toContain(`${server.filekeyPath} mode 0604`);
    } finally {
      await chmod(server.filekeyPath, 0o600);
    }
  });

  it('T06 warns about a server certificate that expires within 30 days', async () => {
    // Issued so long ago that only ten days of its validity are left.
    const expiring = await generateTlsMaterial({
      now: new Date(Date.now() - (LEAF_VALIDITY_DAYS - 10) * DAY_MS),
    });
    const local = await localCheckConnection(server.dir);
    const report = await withServerCertificate(server.dir, expiring, () =>
      checkPosture({ connection: { ...local, ca: expiring.caCert } }),
    );

    const finding = findingOf(report, 'T06');
    expect(finding.status).toBe('warn');
    expect(finding.observed).toMatch(/^expires on \d{4}-\d{2}-\d{2} \(in (9|10) days\)$/);
    expect(changedChecks(clean, report)).toEqual(['T06']);
  });

  it('T06 fails for an expired certificate when verification is skipped', async () => {
    const expired = await generateTlsMaterial({
      now: new Date(Date.now() - (LEAF_VALIDITY_DAYS + 2) * DAY_MS),
    });
    const local = await localCheckConnection(server.dir);
    const report = await withServerCertificate(server.dir, expired, async () => {
      await expect(
        checkPosture({ connection: { ...local, ca: expired.caCert } }),
      ).rejects.toMatchObject({ code: 'TLS_VERIFY_FAILED' });
      return checkPosture({ connection: { ...local, insecure: true } });
    });

    expect(report.verified).toBe(false);
    expect(findingOf(report, 'T06').status).toBe('fail');
    expect(findingOf(report, 'T06').observed).toMatch(/^expired on /);
  });

  it('runs only the checks asked for, in catalogue order', async () => {
    const report = await checkLocal(server.dir, { only: ['e07', 'T01'] });
    expect(report.findings.map((f) => f.id)).toEqual(['T01', 'E07']);
  });

  it('rejects an unknown check id', async () => {
    await expect(checkLocal(server.dir, { only: ['Z99'] })).rejects.toMatchObject({
      code: 'UNKNOWN_CHECK',
    });
  });
});
