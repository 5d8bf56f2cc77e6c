import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateLayout } from '../../src/mariadb/layout.js';
import { generateTlsMaterial } from '../../src/mariadb/tls.js';
import { CATALOGUE } from '../../src/posture/catalogue/index.js';
import type { PostureReport } from '../../src/posture/types.js';
import { findFreePort } from '../../src/util/net.js';
import { makeTempDir, mariadbAvailable } from '../helpers/mariadb.js';
import {
  adminPassword,
  findingOf,
  runCli,
  runSql,
  startHardenedServer,
  strongPassword,
  withServerCertificate,
  type CliRun,
} from '../helpers/posture.js';

const available = await mariadbAvailable();

describe.skipIf(!available)('mariadb-tdx check', () => {
  let server: Awaited<ReturnType<typeof startHardenedServer>>;
  let scratch: string;
  let password: string;
  let passwordFile: string;
  let remoteArgs: string[];
  const runs: CliRun[] = [];

  /** Runs the CLI and keeps its output for the test that looks for secrets in every run. */
  async function cli(args: readonly string[], env: Record<string, string | undefined> = {}) {
    const run = await runCli(args, { MARIADB_TDX_PASSWORD: undefined, ...env });
    runs.push(run);
    return run;
  }

  /**
   * Creates the account 'monitor'@'127.0.0.1' with `grants` (each "GRANT … TO 'user'@'host'",
   * the account written in any form after TO), runs the check as that account and drops it.
   */
  async function asMonitor(grants: readonly string[], args: readonly string[]) {
    const monitorPassword = strongPassword();
    const monitorFile = join(scratch, 'monitor.password');
    await writeFile(monitorFile, monitorPassword, { mode: 0o600 });
    const account = "'monitor'@'127.0.0.1'";
    await runSql(server.dir, [
      `CREATE USER ${account} IDENTIFIED BY '${monitorPassword}' REQUIRE SSL`,
      ...grants.map((grant) => grant.replace(/ TO .*$/, ` TO ${account}`)),
    ]);
    try {
      const login = [...remoteArgs.slice(0, 5), 'monitor', ...remoteArgs.slice(6)];
      return await cli(['check', ...login, '--password-file', monitorFile, ...args]);
    } finally {
      await runSql(server.dir, [`DROP USER ${account}`]);
    }
  }

  beforeAll(async () => {
    server = await startHardenedServer();
    scratch = await makeTempDir('mariadb-tdx-check-');
    password = await adminPassword(server.dir);
    passwordFile = join(scratch, 'admin.password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    const layout = stateLayout(server.dir);
    remoteArgs = [
      '--host',
      '127.0.0.1',
      '--port',
      String(server.info.port),
      '--user',
      'admin',
      '--ca',
      layout.caCert,
    ];
  });
  afterAll(async () => {
    await server?.dispose();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('checks the local server of --dir and exits with 0', async () => {
    const run = await cli(['check', '--dir', server.dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^MariaDB 10\.\d+\.\d+.* at 127\.0\.0\.1:\d+ as admin, hardened profile/,
    );
    expect(run.stdout).toMatch(/server certificate verified/);
    for (const group of ['transport', 'encryption at rest', 'accounts', 'keys and memory']) {
      expect(run.stdout).toContain(`\n${group}\n`);
    }
    expect(run.stdout).toMatch(/\n {2}T01 {2}pass {3}this session is encrypted/);
    expect(run.stdout).toMatch(
      new RegExp(
        `${CATALOGUE.length} checks: ${CATALOGUE.length - 1} pass, 0 fail, 0 warn, 1 not applicable, 0 error`,
      ),
    );
    expect(run.stdout).not.toMatch(/What to change/);
  });

  it('prints every finding as JSON with --json', async () => {
    const run = await cli(['check', '--dir', server.dir, '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as PostureReport;
    expect(report.findings.map((f) => f.id)).toEqual(CATALOGUE.map((c) => c.id));
    expect(report.verified).toBe(true);
    expect(report.profile).toBe('hardened');
    for (const finding of report.findings) {
      expect(Object.keys(finding)).toEqual(
        expect.arrayContaining([
          'id',
          'group',
          'title',
          'severity',
          'status',
          'observed',
          'expected',
          'advice',
          'sql',
        ]),
      );
    }
  });

  it('exits with 1 and says what to change when a check fails', async () => {
    await runSql(server.dir, ['SET GLOBAL general_log=ON']);
    let run: CliRun;
    try {
      run = await cli(['check', '--dir', server.dir]);
    } finally {
      await runSql(server.dir, ['SET GLOBAL general_log=OFF']);
    }
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/L01 {2}FAIL {3}the general query log is off/);
    expect(run.stdout).toMatch(
      /fix: +SET GLOBAL general_log=OFF, and general_log=0 under \[mariadbd\]/,
    );
  });

  it('checks a server named by --host, --port, --user, --password-file and --ca', async () => {
    const run = await cli(['check', ...remoteArgs, '--password-file', passwordFile, '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as PostureReport;
    expect(report.target).toEqual({ host: '127.0.0.1', port: server.info.port, user: 'admin' });
    expect(report.server.local).toBe(true);
  });

  it('takes the password from MARIADB_TDX_PASSWORD', async () => {
    const run = await cli(['check', ...remoteArgs, '--only', 'T01'], {
      MARIADB_TDX_PASSWORD: password,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n1 check: 1 pass, /);
  });

  it('rejects a missing password without a terminal', async () => {
    const run = await cli(['check', ...remoteArgs]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no password for admin \[INVALID_OPTION\]/);
    expect(run.stderr).toMatch(/--password-file FILE, or set MARIADB_TDX_PASSWORD/);
  });

  it('exits with 2 and names the fix when the password is wrong', async () => {
    const wrong = join(scratch, 'wrong.password');
    await writeFile(wrong, 'Wrong-Passw0rd\n', { mode: 0o600 });
    const run = await cli(['check', ...remoteArgs, '--password-file', wrong]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/access denied at 127\.0\.0\.1:\d+.* \[ACCESS_DENIED\]/);
    expect(run.stderr).toContain(`check the user name (admin) and the password file ${wrong}`);
    expect(run.stdout + run.stderr).not.toContain('Wrong-Passw0rd');
  });

  it('names MARIADB_TDX_PASSWORD when its password is refused', async () => {
    const run = await cli(['check', ...remoteArgs], { MARIADB_TDX_PASSWORD: 'Wrong-Passw0rd' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\[ACCESS_DENIED\]/);
    expect(run.stderr).toMatch(/check the user name \(admin\) and MARIADB_TDX_PASSWORD\n/);
    expect(run.stderr).not.toMatch(/password file/);
  });

  it('exits with 2 when the server certificate is not from --ca', async () => {
    const other = await generateTlsMaterial();
    const otherCa = join(scratch, 'other-ca.pem');
    await writeFile(otherCa, other.caCert);
    const args = [...remoteArgs.slice(0, -1), otherCa, '--password-file', passwordFile];
    const run = await cli(['check', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /TLS verification of 127\.0\.0\.1:\d+ failed: \S+ \[TLS_VERIFY_FAILED\]/,
    );
    expect(run.stderr).toMatch(/pass the CA that issued the server certificate with --ca/);
  });

  it('exits with 2 when the server presents a certificate from another CA', async () => {
    const other = await generateTlsMaterial();
    const run = await withServerCertificate(server.dir, other, () =>
      cli(['check', '--dir', server.dir]),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\[TLS_VERIFY_FAILED\]/);
  });

  it('marks the report unverified with --insecure', async () => {
    const args = [
      'check',
      ...remoteArgs.slice(0, -2),
      '--password-file',
      passwordFile,
      '--insecure',
    ];
    const human = await cli(args);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /UNVERIFIED: the server certificate was not checked \(--insecure\)/,
    );

    const json = await cli([...args, '--json']);
    expect((JSON.parse(json.stdout) as PostureReport).verified).toBe(false);
  });

  it('exits with 2 when nothing listens on the port', async () => {
    const port = await findFreePort();
    const args = ['check', '--host', '127.0.0.1', '--port', String(port), '--user', 'admin'];
    const run = await cli([...args, '--password-file', passwordFile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /nothing accepts connections at 127\.0\.0\.1:\d+ \[CONNECTION_REFUSED\]/,
    );
  });

  it('exits with 2 when --host comes without --user', async () => {
    const run = await cli(['check', '--host', '127.0.0.1', '--password-file', passwordFile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--user is required/);
  });

  it('exits with 1 when an account lacks the privileges to run the checks', async () => {
    const viewerPassword = strongPassword();
    const viewerFile = join(scratch, 'viewer.password');
    await writeFile(viewerFile, viewerPassword, { mode: 0o600 });
    await runSql(server.dir, [
      `CREATE USER 'viewer'@'127.0.0.1' IDENTIFIED BY '${viewerPassword}' REQUIRE SSL`,
    ]);
    let run: CliRun;
    try {
      const args = [...remoteArgs.slice(0, 5), 'viewer', ...remoteArgs.slice(6)];
      run = await cli(['check', ...args, '--password-file', viewerFile, '--json']);
    } finally {
      await runSql(server.dir, ["DROP USER 'viewer'@'127.0.0.1'"]);
    }
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as PostureReport;
    const errors = report.findings.filter((f) => f.status === 'error');
    expect(errors.map((f) => f.id)).toContain('A01');
    expect(errors[0]?.observed).toMatch(/^access denied: /);
    expect(errors[0]?.advice).toMatch(/SELECT ON mysql\.\* and PROCESS, SLAVE MONITOR ON \*\.\*/);
  });

  it('exits with 0 for a monitoring account with the grants that --help lists', async () => {
    const help = await cli(['check', '--help']);
    const grants = help.stdout
      .split('\n')
      .filter((line) => line.trimStart().startsWith('GRANT '))
      .map((line) => line.trim().replace(/;$/, ''));
    expect(grants).toHaveLength(2);

    const run = await asMonitor(grants, ['--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as PostureReport;
    expect(report.summary).toMatchObject({ fail: 0, warn: 0, error: 0 });
    const h11 = findingOf(report, 'H11');
    expect(h11.status).toBe('pass');
    expect(h11.observed).toContain("'monitor'@'127.0.0.1' on mysql.*");
    expect(h11.note).toMatch(/account running the check needs SELECT on the mysql schema/);
    expect(findingOf(report, 'T08')).toMatchObject({
      status: 'not_applicable',
      observed: 'no replication channels',
    });
  });

  it('judges T08 by replication status without SLAVE MONITOR', async () => {
    const grants = ['GRANT SELECT ON mysql.* TO MONITOR', 'GRANT PROCESS ON *.* TO MONITOR'];
    const idle = await asMonitor(grants, ['--only', 'T08', '--json']);
    expect(idle.code).toBe(0);
    const idleT08 = findingOf(JSON.parse(idle.stdout) as PostureReport, 'T08');
    expect(idleT08.status).toBe('not_applicable');
    expect(idleT08.note).toMatch(/^SHOW ALL REPLICAS STATUS needs SLAVE MONITOR/);
    expect(idleT08.sql).toMatch(/SLAVES_RUNNING/);

    // A stopped channel stays invisible, but the GTID position it left behind is seen.
    await runSql(server.dir, [
      "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=9, MASTER_USER='repl', MASTER_SSL=0",
      "SET GLOBAL gtid_slave_pos='0-1-42'",
    ]);
    let replicated: CliRun;
    try {
      replicated = await asMonitor(grants, ['--only', 'T08', '--json']);
    } finally {
      await runSql(server.dir, ['RESET SLAVE ALL', "SET GLOBAL gtid_slave_pos=''"]);
    }
    expect(replicated.code).toBe(0);
    const t08 = findingOf(JSON.parse(replicated.stdout) as PostureReport, 'T08');
    expect(t08.status).toBe('warn');
    expect(t08.observed).toContain('gtid_slave_pos=0-1-42');
    expect(t08.advice).toMatch(/GRANT SLAVE MONITOR/);
  });

  it('lists the catalogue without connecting', async () => {
    const run = await cli(['check', '--list', '--json']);
    expect(run.code).toBe(0);
    const checks = JSON.parse(run.stdout) as { id: string; sql: string }[];
    expect(checks.map((c) => c.id)).toEqual(CATALOGUE.map((c) => c.id));
    const human = await cli(['check', '--list']);
    expect(human.stdout).toMatch(/\n {2}E07 {2}critical {2}a key management plugin is active/);
  });

  it('never prints the password', () => {
    expect(runs.length).toBeGreaterThan(10);
    for (const run of runs) {
      expect(run.stdout).not.toContain(password);
      expect(run.stderr).not.toContain(password);
    }
  });
});
