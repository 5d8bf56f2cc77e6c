import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/posture.js';

/** Starts a TCP server on 127.0.0.1 that treats every connection with `handle`. */
async function startFakeService(handle: (socket: Socket) => void): Promise<Server> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: Server): string {
  const address = server.address();
  return String(typeof address === 'object' && address !== null ? address.port : 0);
}

// No MariaDB server is needed: every run here ends before a login, or at a service that is not
// MariaDB.
describe('mariadb-tdx check input', () => {
  let scratch: string;
  let passwordFile: string;
  const env = { MARIADB_TDX_PASSWORD: 'Not-Used-1' };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'mariadb-tdx-check-input-'));
    passwordFile = join(scratch, 'password');
    await writeFile(passwordFile, 'Not-Used-1\n', { mode: 0o600 });
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('rejects an empty --only list', async () => {
    for (const only of ['', ' , ']) {
      const run = await runCli(['check', '--only', only], env);
      expect(run.code, JSON.stringify(only)).toBe(2);
      expect(run.stderr).toMatch(/option '--only <ids>' argument .* is invalid/);
      expect(run.stderr).toMatch(/expected check ids separated by commas/);
      expect(run.stdout).toBe('');
    }
  });

  it('rejects an unknown check id before connecting', async () => {
    const port = String(await findFreePort());
    const args = ['check', '--only', 'T01,Z99', '--host', '127.0.0.1', '--port', port];
    const run = await runCli([...args, '--user', 'mon'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no check has the id Z99 \[UNKNOWN_CHECK\]/);
    expect(run.stderr).not.toMatch(/CONNECTION_REFUSED/);
  });

  it('rejects --insecure together with --ca', async () => {
    const ca = join(scratch, 'ca.pem');
    const run = await runCli(['check', '--insecure', '--ca', ca, '--user', 'mon'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/option '--insecure' cannot be used with option '--ca <file>'/);
  });

  it('rejects an empty --host', async () => {
    const run = await runCli(['check', '--host', '', '--user', 'mon'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/option '--host <host>' argument '' is invalid/);
  });

  it('rejects a port written into --host', async () => {
    const run = await runCli(['check', '--host', '127.0.0.1:3306', '--user', 'mon'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/pass the port with --port/);
  });

  it('rejects --dir together with --port', async () => {
    const run = await runCli(['check', '--dir', scratch, '--port', '3307'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error: --dir cannot be combined with --port \[INVALID_OPTION\]/);
  });

  it('asks for --user naming the option that was given', async () => {
    const run = await runCli(['check', '--port', '3307'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error: --user is required with --port \[INVALID_OPTION\]/);
    expect(run.stderr).not.toMatch(/checking a server by --host/);
  });

  it('says that the password file is a directory', async () => {
    const args = ['check', '--host', '127.0.0.1', '--user', 'mon', '--password-file', scratch];
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`password file ${scratch} is a directory, not a file`);
    expect(run.stderr).toMatch(/check --password-file: it must name the file itself/);
  });

  it('says that the CA file is a directory', async () => {
    const run = await runCli(
      ['check', '--host', '127.0.0.1', '--user', 'mon', '--ca', scratch],
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`CA file ${scratch} is a directory, not a file`);
    expect(run.stderr).toMatch(/check --ca: it must name the file itself/);
  });

  it('reports a service that does not speak the MariaDB protocol', async () => {
    const service = await startFakeService((socket) =>
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
    );
    try {
      const port = portOf(service);
      const args = ['check', '--host', '127.0.0.1', '--port', port, '--user', 'mon'];
      const run = await runCli([...args, '--password-file', passwordFile]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `the service at 127.0.0.1:${port} did not answer like a MariaDB server [NOT_MARIADB]`,
      );
      expect(run.stderr).toMatch(/TCP port of a MariaDB server/);
      expect(run.stderr).not.toMatch(/Packet size/);
    } finally {
      service.close();
    }
  });

  it('reports a service that closes the connection at once', async () => {
    const service = await startFakeService((socket) => socket.destroy());
    try {
      const port = portOf(service);
      const args = ['check', '--host', '127.0.0.1', '--port', port, '--user', 'mon'];
      const run = await runCli(args, env);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `the service at 127.0.0.1:${port} closed the connection before the MariaDB handshake ended [HANDSHAKE_CLOSED]`,
      );
    } finally {
      service.close();
    }
  });

  it('writes an IPv6 target in brackets', async () => {
    // Either nothing listens there or the host has no IPv6; both messages name the target.
    const port = await findFreePort();
    const args = ['check', '--host', '[::1]', '--port', String(port), '--user', 'mon'];
    const run = await runCli(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`[::1]:${port}`);
  });

  it('help names the password sources and the grants', async () => {
    const run = await runCli(['check', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--password-file <path>/);
    expect(run.stdout).toMatch(/There is no --password option/);
    expect(run.stdout).toContain('MARIADB_TDX_PASSWORD');
    expect(run.stdout).toContain("GRANT SELECT ON mysql.* TO 'user'@'host';");
    expect(run.stdout).toContain("GRANT PROCESS, SLAVE MONITOR ON *.* TO 'user'@'host';");
  });
});
