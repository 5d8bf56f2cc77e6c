import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateMariadb } from '../../src/mariadb/binaries.js';
import { spawnServer, waitForServer } from '../../src/mariadb/server.js';
import { connect } from '../../src/mariadb/connection.js';
import { decryptKeyFile } from '../../src/mariadb/keys.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { localCheckConnection } from '../../src/posture/check.js';
import { runPostureChecks } from '../../src/posture/runner.js';
import type { PostureReport } from '../../src/posture/types.js';
import { mariadbAvailable } from '../helpers/mariadb.js';
import {
  changedChecks,
  checkLocal,
  findingOf,
  restartWithExtraOptions,
  runCli,
  runSql,
  startHardenedServer,
  strongPassword,
} from '../helpers/posture.js';

const available = await mariadbAvailable();

/** A violation that needs a restart: the option line and what the check must then observe. */
interface StartupViolation {
  readonly check: string;
  readonly option: string;
  readonly observed: RegExp;
}

describe.skipIf(!available)('posture after restarts with settings that break the rules', () => {
  let server: Awaited<ReturnType<typeof startHardenedServer>>;
  let clean: PostureReport;
  let diskDir: string;
  let passphrase: string;
  const plainPassword = strongPassword();

  beforeAll(async () => {
    server = await startHardenedServer();
    // /var/tmp is disk-backed by convention, unlike /dev/shm and, on some systems, /tmp.
    diskDir = await mkdtemp('/var/tmp/mariadb-tdx-tmpdir-');
    passphrase = (await readFile(server.filekeyPath, 'utf8')).trim();
    // A local account without REQUIRE SSL, for the one test that connects without TLS.
    await runSql(server.dir, [
      `CREATE USER 'plain'@'127.0.0.1' IDENTIFIED BY '${plainPassword}'`,
      "GRANT ALL ON *.* TO 'plain'@'127.0.0.1'",
    ]);
    clean = await checkLocal(server.dir);
  });
  afterAll(async () => {
    await server?.dispose();
    if (diskDir) await rm(diskDir, { recursive: true, force: true });
  });

  it('starts from a server that passes every check', () => {
    expect(clean.summary.fail).toBe(0);
    expect(clean.summary.warn).toBe(0);
    expect(clean.summary.error).toBe(0);
  });

  describe('with startup-only settings that break one rule each', () => {
    const violations = (): StartupViolation[] => [
      {
        check: 'T04',
        option: 'tls_version = TLSv1.1,TLSv1.2,TLSv1.3',
        observed: /^tls_version=TLSv1\.1,TLSv1\.2,TLSv1\.3$/,
      },
      {
        check: 'T05',
        option: 'ssl_cipher = ECDHE-ECDSA-AES256-GCM-SHA384:AES128-SHA',
        observed: /^1 weak suites offered: AES128-SHA$/,
      },
      { check: 'E02', option: 'innodb_encrypt_log = OFF', observed: /^innodb_encrypt_log=OFF$/ },
      {
        check: 'E03',
        option: 'innodb_encrypt_temporary_tables = OFF',
        observed: /^innodb_encrypt_temporary_tables=OFF$/,
      },
      { check: 'E04', option: 'encrypt_tmp_files = OFF', observed: /^encrypt_tmp_files=OFF$/ },
      {
        check: 'E08',
        option: 'file_key_management = ON',
        observed: /^file_key_management loaded ON$/,
      },
      {
        check: 'L04',
        option: 'encrypt_binlog = OFF',
        observed: /^log_bin=ON, encrypt_binlog=OFF$/,
      },
      {
        check: 'L05',
        option: `tmpdir = ${diskDir}`,
        observed: new RegExp(`^${diskDir} on \\w+ \\(.+\\), not encrypted$`),
      },
      {
        check: 'L07',
        option: 'server_audit = ON',
        observed: /^server_audit ACTIVE ON, server_audit_logging=ON$/,
      },
      {
        check: 'K01',
        option: `file_key_management_filekey = ${passphrase}`,
        observed: /^the passphrase itself \(64 characters\) is the variable's value$/,
      },
      { check: 'K04', option: 'core_file', observed: /^core_file=ON$/ },
      { check: 'H03', option: 'secure_file_priv = ""', observed: /^not set \(any directory\)$/ },
      { check: 'H04', option: 'symbolic_links = 1', observed: /^have_symlink=YES$/ },
      { check: 'H05', option: 'skip_name_resolve = OFF', observed: /^skip_name_resolve=OFF$/ },
      {
        check: 'H12',
        option: 'allow_suspicious_udfs = 1',
        observed: /^allow_suspicious_udfs=ON$/,
      },
    ];
    let broken: PostureReport;

    beforeAll(async () => {
      await restartWithExtraOptions(
        server.dir,
        violations().map((violation) => violation.option),
      );
      broken = await checkLocal(server.dir);
    });
    afterAll(async () => {
      await restartWithExtraOptions(server.dir, []);
    });

    it('fails exactly the checks whose settings changed', () => {
      expect(changedChecks(clean, broken)).toEqual(
        violations()
          .map((v) => v.check)
          .sort(),
      );
    });

    it.each([
      'T04',
      'T05',
      'E02',
      'E03',
      'E04',
      'E08',
      'L04',
      'L05',
      'L07',
      'K01',
      'K04',
      'H03',
      'H04',
      'H05',
      'H12',
    ])('%s fails with the observed setting', (id) => {
      const violation = violations().find((v) => v.check === id)!;
      const finding = findingOf(broken, id);
      expect(finding.status).toBe('fail');
      expect(finding.observed).toMatch(violation.observed);
    });

    it('never shows the passphrase it reports in clear', async () => {
      expect(JSON.stringify(broken)).not.toContain(passphrase);
      const run = await runCli(['check', '--dir', server.dir, '--json']);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).not.toContain(passphrase);
      const human = await runCli(['check', '--dir', server.dir]);
      expect(human.code).toBe(1);
      expect(human.stdout + human.stderr).not.toContain(passphrase);
    });
  });

  it('K03 warns when the key file is kept in clear', async () => {
    const layout = stateLayout(server.dir);
    const clearKeyFile = join(dirname(server.filekeyPath), 'keyfile-in-clear');
    const keys = decryptKeyFile(
      await readFile(layout.encryptedKeyFile),
      Buffer.from(passphrase),
      layout.encryptedKeyFile,
    );
    await writeFile(clearKeyFile, keys, { mode: 0o600 });

    let report: PostureReport;
    try {
      await restartWithExtraOptions(server.dir, [
        `file_key_management_filename = ${clearKeyFile}`,
        'file_key_management_filekey = ',
      ]);
      report = await checkLocal(server.dir);
    } finally {
      await restartWithExtraOptions(server.dir, []);
      await rm(clearKeyFile, { force: true });
    }

    expect(findingOf(report, 'K03').status).toBe('warn');
    expect(findingOf(report, 'K03').observed).toBe(
      'file_key_management with the key file in clear',
    );
    expect(findingOf(report, 'K03').note).toMatch(/^policy: /);
    expect(changedChecks(clean, report)).toEqual(['K03']);
  });

  describe('when TLS is switched off', () => {
    beforeAll(async () => {
      // up() stops a server it cannot reach over verified TLS, so the test starts it itself
      // from the option file that up() wrote.
      await expect(
        restartWithExtraOptions(server.dir, ['skip_ssl', 'require_secure_transport = OFF']),
      ).rejects.toMatchObject({ code: 'TLS_UNAVAILABLE' });
      const layout = stateLayout(server.dir);
      const started = await spawnServer(await locateMariadb(), layout);
      await waitForServer(started, server.info.port, layout, 60_000);
    });
    afterAll(async () => {
      await restartWithExtraOptions(server.dir, []);
    });

    it('the CLI refuses to check over plain TCP and exits with 2', async () => {
      const run = await runCli(['check', '--dir', server.dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/does not offer TLS \[TLS_UNAVAILABLE\]/);
      expect(run.stderr).toMatch(/never falls back to plain TCP/);
      expect(run.stdout).toBe('');
    });

    it('T01 and T02 fail over a plain connection opened by the library', async () => {
      const local = await localCheckConnection(server.dir);
      const connection = await connect({
        ...local,
        user: 'plain',
        password: plainPassword,
        plainText: true,
      });
      let report: PostureReport;
      try {
        report = await runPostureChecks(connection, {
          target: { host: local.host, port: local.port, user: 'plain' },
          verified: false,
        });
      } finally {
        await connection.end();
      }

      expect(findingOf(report, 'T01').status).toBe('fail');
      expect(findingOf(report, 'T01').observed).toBe('not encrypted (Ssl_cipher is empty)');
      expect(findingOf(report, 'T02').status).toBe('fail');
      expect(findingOf(report, 'T02').observed).toBe('have_ssl=DISABLED');
      expect(findingOf(report, 'T03').status).toBe('fail');
    });
  });
});
