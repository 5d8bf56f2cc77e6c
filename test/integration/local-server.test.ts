import { readFile, writeFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/mariadb/connection.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { connectLocal, localConnectionOptions } from '../../src/local/client.js';
import { readManifest } from '../../src/local/manifest.js';
import { down } from '../../src/local/down.js';
import { status } from '../../src/local/status.js';
import { up } from '../../src/local/up.js';
import { loadBanking } from '../../src/dataset/load.js';
import { TLS12_CIPHERS } from '../../src/mariadb/profile.js';
import { mariadbAvailable, startTestServer, type TestServer } from '../helpers/mariadb.js';

const available = await mariadbAvailable();

type Row = Record<string, unknown>;

describe.skipIf(!available)('hardened local server', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('accepts a TLS connection verified against its CA', async () => {
    const connection = await connectLocal(server.dir);
    try {
      const rows = (await connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as Row[];
      expect(rows[0]?.Value).toMatch(/\S/);
    } finally {
      await connection.end();
    }
  });

  it('rejects a CA that did not issue its certificate', async () => {
    const layout = stateLayout(server.dir);
    const options = await localConnectionOptions(layout, await readManifest(layout));
    const { generateTlsMaterial } = await import('../../src/mariadb/tls.js');
    const other = await generateTlsMaterial();
    await expect(connect({ ...options, ca: other.caCert })).rejects.toMatchObject({
      code: 'TLS_VERIFY_FAILED',
    });
  });

  it('rejects a plain TCP connection', async () => {
    const layout = stateLayout(server.dir);
    const options = await localConnectionOptions(layout, await readManifest(layout));
    const attempt = connect({ ...options, plainText: true });
    await expect(attempt).rejects.toThrow();
    await attempt.catch((error: { cause?: { code?: string } }) => {
      // ER_SECURE_TRANSPORT_REQUIRED (3159) or the account's REQUIRE SSL (1045).
      expect([
        'ER_SECURE_TRANSPORT_REQUIRED',
        'ER_ACCESS_DENIED_ERROR',
        'ER_UNKNOWN_ERROR',
      ]).toContain(error.cause?.code);
    });
  });

  it('reports the hardened encryption variables', async () => {
    const connection = await connectLocal(server.dir);
    try {
      const rows = (await connection.query(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_encrypt_tables', 'innodb_encrypt_log', " +
          "'innodb_encrypt_temporary_tables', 'encrypt_tmp_files', 'encrypt_tmp_disk_tables', " +
          "'aria_encrypt_tables', 'encrypt_binlog', 'log_bin', 'require_secure_transport', " +
          "'tls_version', 'file_key_management_encryption_algorithm', 'general_log', " +
          "'slow_query_log', 'innodb_immediate_scrub_data_uncompressed', 'innodb_undo_tablespaces', " +
          "'ssl_cipher', 'default_password_lifetime', 'server_audit_events', 'server_audit_logging', " +
          "'enforce_storage_engine')",
      )) as { Variable_name: string; Value: string }[];
      const variables = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
      expect(variables).toEqual({
        aria_encrypt_tables: 'ON',
        encrypt_binlog: 'ON',
        encrypt_tmp_disk_tables: 'ON',
        encrypt_tmp_files: 'ON',
        file_key_management_encryption_algorithm: 'aes_ctr',
        general_log: 'OFF',
        innodb_encrypt_log: 'ON',
        innodb_encrypt_tables: 'FORCE',
        innodb_encrypt_temporary_tables: 'ON',
        innodb_immediate_scrub_data_uncompressed: 'ON',
        innodb_undo_tablespaces: '3',
        log_bin: 'ON',
        require_secure_transport: 'ON',
        slow_query_log: 'OFF',
        tls_version: 'TLSv1.2,TLSv1.3',
        ssl_cipher: TLS12_CIPHERS.join(':'),
        default_password_lifetime: '365',
        server_audit_events: 'CONNECT',
        server_audit_logging: 'ON',
        enforce_storage_engine: 'InnoDB',
      });
    } finally {
      await connection.end();
    }
  });

  it('keeps tmpdir in RAM', async () => {
    const connection = await connectLocal(server.dir);
    try {
      const [row] = (await connection.query('SELECT @@tmpdir AS tmpdir')) as Row[];
      expect(String(row?.tmpdir)).toMatch(/^\/dev\/shm\//);
    } finally {
      await connection.end();
    }
  });

  it('includes an extra option file that it creates once', async () => {
    const layout = stateLayout(server.dir);
    const generated = await readFile(layout.serverOptionFile, 'utf8');
    expect(generated.trimEnd().endsWith(`!include ${layout.extraOptionFile}`)).toBe(true);
    expect(await readFile(layout.extraOptionFile, 'utf8')).toMatch(/^\[mariadbd\]$/m);
  });

  it('never lets the admin password expire', async () => {
    const connection = await connectLocal(server.dir);
    try {
      const rows = (await connection.query(
        "SELECT JSON_VALUE(Priv, '$.password_lifetime') AS lifetime FROM mysql.global_priv WHERE User = 'admin'",
      )) as { lifetime: string }[];
      expect(rows.map((row) => row.lifetime)).toEqual(['0', '0']);
    } finally {
      await connection.end();
    }
  });

  it('loads the key plugin as FORCE_PLUS_PERMANENT', async () => {
    const connection = await connectLocal(server.dir);
    try {
      const rows = (await connection.query(
        "SELECT PLUGIN_NAME, PLUGIN_STATUS, LOAD_OPTION FROM information_schema.PLUGINS WHERE PLUGIN_TYPE = 'ENCRYPTION'",
      )) as Row[];
      expect(rows).toEqual([
        {
          PLUGIN_NAME: 'file_key_management',
          PLUGIN_STATUS: 'ACTIVE',
          LOAD_OPTION: 'FORCE_PLUS_PERMANENT',
        },
      ]);
    } finally {
      await connection.end();
    }
  });

  it('encrypts every InnoDB tablespace, the loaded tables included', async () => {
    const connection = await connectLocal(server.dir);
    try {
      await loadBanking(connection, { rows: 200 });
      const rows = (await connection.query(
        'SELECT t.NAME, IFNULL(e.ENCRYPTION_SCHEME, 0) AS scheme FROM information_schema.INNODB_SYS_TABLESPACES t ' +
          'LEFT JOIN information_schema.INNODB_TABLESPACES_ENCRYPTION e ON e.SPACE = t.SPACE ' +
          "WHERE t.NAME <> 'innodb_temporary'",
      )) as { NAME: string; scheme: number }[];
      const names = rows.map((r) => r.NAME);
      expect(names).toContain('innodb_system');
      expect(names).toContain('innodb_undo001');
      expect(names).toContain('Customers/Individuals');
      expect(rows.filter((r) => Number(r.scheme) !== 1)).toEqual([]);
    } finally {
      await connection.end();
    }
  });

  it('rejects a table created ENCRYPTED=NO', async () => {
    const connection = await connectLocal(server.dir);
    try {
      await expect(
        connection.query("CREATE TABLE Customers.t_plain (id INT) ENCRYPTED='NO'"),
      ).rejects.toMatchObject({ code: 'ER_CANT_CREATE_TABLE' });
    } finally {
      await connection.end();
    }
  });

  it('creates only TLS accounts and no anonymous or remote root', async () => {
    const connection = await connectLocal(server.dir);
    try {
      const rows = (await connection.query(
        "SELECT User, Host, ssl_type FROM mysql.user WHERE User = '' OR (User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1')) OR (Host <> 'localhost' AND ssl_type = '')",
      )) as Row[];
      expect(rows).toEqual([]);
    } finally {
      await connection.end();
    }
  });

  it('reports status with encryption and TLS', async () => {
    const report = await status({ dir: server.dir });
    expect(report.running).toBe(true);
    expect(report.encryption?.innodbTables).toBe('FORCE');
    expect(report.encryption?.unencryptedTablespaces).toBe(0);
    expect(report.tls?.required).toBe(true);
    expect(report.tls?.sessionCipher).not.toBe('');
    expect(report.notes.join(' ')).toMatch(/development default/);
  });

  it('returns the running server on a second up', async () => {
    const again = await up({ dir: server.dir });
    expect(again.alreadyRunning).toBe(true);
    expect(again.pid).toBe(server.info.pid);
  });
});

describe.skipIf(!available)('restarting a local server', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('keeps data and the key file byte for byte across down and up', async () => {
    const layout = stateLayout(server.dir);
    const keyBefore = await readFile(layout.keyFile);
    const checkBefore = await readFile(layout.keyCheckFile);

    let connection = await connectLocal(server.dir);
    await loadBanking(connection, { rows: 50 });
    await connection.end();

    const stopped = await down({ dir: server.dir });
    expect(stopped.stoppedPid).toBe(server.info.pid);
    if (layout.ramTmpDir) expect(existsSync(layout.ramTmpDir)).toBe(false);
    const restarted = await up({ dir: server.dir });
    expect(restarted.created).toBe(false);
    expect(restarted.port).toBe(server.info.port);

    connection = await connectLocal(server.dir);
    try {
      const [row] = (await connection.query('SELECT COUNT(*) AS n FROM Customers.Individuals')) as {
        n: bigint;
      }[];
      expect(Number(row?.n)).toBe(52);
    } finally {
      await connection.end();
    }
    expect((await readFile(layout.keyFile)).equals(keyBefore)).toBe(true);
    expect((await readFile(layout.keyCheckFile)).equals(checkBefore)).toBe(true);
  });

  it('rejects a tampered key file unchanged', async () => {
    await down({ dir: server.dir });
    const layout = stateLayout(server.dir);
    const original = await readFile(layout.keyFile, 'utf8');
    const tampered = original.replace(/^1;(.)/m, (_m, c: string) => `1;${c === 'a' ? 'b' : 'a'}`);
    await writeFile(layout.keyFile, tampered, { mode: 0o600 });

    await expect(up({ dir: server.dir })).rejects.toMatchObject({ code: 'KEY_CHECK_MISMATCH' });
    expect(await readFile(layout.keyFile, 'utf8')).toBe(tampered);

    await writeFile(layout.keyFile, original, { mode: 0o600 });
    await expect(up({ dir: server.dir })).resolves.toMatchObject({ created: false });
  });

  it('refuses to start without the key file', async () => {
    await down({ dir: server.dir });
    const layout = stateLayout(server.dir);
    const original = await readFile(layout.keyFile);
    const { rename } = await import('node:fs/promises');
    await rename(layout.keyFile, `${layout.keyFile}.moved`);
    try {
      await expect(up({ dir: server.dir })).rejects.toMatchObject({ code: 'KEY_FILE_MISSING' });
    } finally {
      await rename(`${layout.keyFile}.moved`, layout.keyFile);
    }
    expect((await readFile(layout.keyFile)).equals(original)).toBe(true);
  });

  it('refuses a key file readable by others', async () => {
    const layout = stateLayout(server.dir);
    await down({ dir: server.dir });
    await chmod(layout.keyFile, 0o644);
    try {
      await expect(up({ dir: server.dir })).rejects.toMatchObject({ code: 'KEY_FILE_PERMISSIONS' });
    } finally {
      await chmod(layout.keyFile, 0o600);
    }
  });
});
