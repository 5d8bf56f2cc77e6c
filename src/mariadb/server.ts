import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerError } from '../errors.js';
import { readLastLines } from '../util/fs.js';
import { canConnect } from '../util/net.js';
import { isProcessRunning, readProcessCommandLine, waitForProcessExit } from '../util/process.js';
import type { MariadbBinaries } from './binaries.js';
import type { StateLayout } from './layout.js';

const ERROR_LOG_TAIL_LINES = 15;

interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

function run(
  command: string,
  args: readonly string[],
  input?: string,
  env?: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: env ?? process.env,
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
    child.stdin.end(input ?? '');
  });
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * Creates the system tables with `mariadb-install-db` under the server's own option file, so
 * that they are encrypted from the first page. No test database is created. Accounts use IP
 * addresses only, so the host name need not resolve (fresh VMs often lack an /etc/hosts entry).
 */
export async function installDataDir(
  binaries: MariadbBinaries,
  layout: StateLayout,
  env?: NodeJS.ProcessEnv,
) {
  const result = await run(
    binaries.installDb,
    [`--defaults-file=${layout.serverOptionFile}`, '--skip-test-db', '--skip-name-resolve'],
    undefined,
    env,
  );
  if (result.code !== 0) {
    const log = await readLastLines(layout.errorLog, ERROR_LOG_TAIL_LINES);
    const reason = log.length > 0 ? log.join('\n') : lastLines(result.output, ERROR_LOG_TAIL_LINES);
    throw new ServerError(
      'INSTALL_DB_FAILED',
      `mariadb-install-db failed with exit code ${result.code}; last lines of ${layout.errorLog}:\n${reason}`,
      {
        hint: `fix the cause above, remove ${layout.dataDir} (it holds no data yet) and run up again`,
      },
    );
  }
}

/**
 * Runs SQL in bootstrap mode: mariadbd reads statements from standard input without opening a
 * network port or socket. Callers pass no secrets in clear, only hashes, which is why strict
 * password validation (it rejects hashes it cannot check) is off for this one run.
 */
export async function runBootstrapSql(
  binaries: MariadbBinaries,
  layout: StateLayout,
  sql: string,
  env?: NodeJS.ProcessEnv,
) {
  const result = await run(
    binaries.mariadbd,
    [
      `--defaults-file=${layout.serverOptionFile}`,
      '--bootstrap',
      '--skip-networking',
      '--strict-password-validation=OFF',
    ],
    sql,
    env,
  );
  if (result.code !== 0) {
    const log = await readLastLines(layout.errorLog, ERROR_LOG_TAIL_LINES);
    throw new ServerError(
      'BOOTSTRAP_FAILED',
      `mariadbd --bootstrap failed with exit code ${result.code}; last lines of ${layout.errorLog}:\n${log.join('\n')}`,
      { hint: `see ${layout.errorLog}` },
    );
  }
}

/**
 * Starts mariadbd in the background, detached from this process; returns its pid. `env`
 * replaces the environment, for example to hand hashicorp_key_management its VAULT_TOKEN
 * without writing it to an option file.
 */
export function spawnServer(
  binaries: MariadbBinaries,
  layout: StateLayout,
  env?: NodeJS.ProcessEnv,
): number {
  const child = spawn(binaries.mariadbd, [`--defaults-file=${layout.serverOptionFile}`], {
    detached: true,
    stdio: 'ignore',
    env: env ?? process.env,
  });
  child.unref();
  if (child.pid === undefined) {
    throw new ServerError('START_FAILED', `could not start ${binaries.mariadbd}`);
  }
  return child.pid;
}

/**
 * Waits until the server accepts TCP connections on its port. Fails early, with the end of the
 * error log, when the process exits first.
 */
export async function waitForServer(
  pid: number,
  port: number,
  layout: StateLayout,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;

  while (Date.now() < deadline) {
    if (!(await isProcessRunning(pid))) {
      throw await startFailure(layout, port);
    }
    if (await canConnect(port, '127.0.0.1', 500)) return;
    await sleep(200);
  }

  const tail = await readLastLines(layout.errorLog, ERROR_LOG_TAIL_LINES);
  throw new ServerError(
    'START_TIMEOUT',
    `mariadbd (pid ${pid}) did not accept connections on port ${port} within ${timeoutMs / 1000} s; last lines of ${layout.errorLog}:\n${tail.join('\n')}`,
    { hint: 'read the error log above; mariadb-tdx stopped the server, no data was changed' },
  );
}

async function startFailure(layout: StateLayout, port: number): Promise<ServerError> {
  const tail = await readLastLines(layout.errorLog, ERROR_LOG_TAIL_LINES);
  const text = tail.join('\n');
  if (/Address already in use|Bind on TCP\/IP port/.test(text)) {
    return new ServerError('PORT_IN_USE', `port ${port} on 127.0.0.1 is in use`, {
      hint: 'stop the program that uses it, or pass --port with a free port',
    });
  }
  return new ServerError(
    'START_FAILED',
    `mariadbd exited during start; last lines of ${layout.errorLog}:\n${text}`,
    { hint: 'fix the cause named in the log and run up again; no data was changed' },
  );
}

/**
 * Reads the pid of the running server from its pid file and confirms that the process is the
 * mariadbd of this state directory, so that a stale pid never gets a signal meant for it.
 */
export async function readServerPid(layout: StateLayout): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(layout.pidFile, 'utf8');
  } catch {
    return undefined;
  }

  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || !(await isProcessRunning(pid))) return undefined;

  const commandLine = await readProcessCommandLine(pid);
  const ours = commandLine?.some((arg) => arg === `--defaults-file=${layout.serverOptionFile}`);
  return ours ? pid : undefined;
}

/** Sends SIGTERM for a clean shutdown and waits for the process to exit. */
export async function stopServer(pid: number, timeoutMs: number) {
  process.kill(pid, 'SIGTERM');
  if (!(await waitForProcessExit(pid, timeoutMs))) {
    throw new ServerError(
      'STOP_TIMEOUT',
      `mariadbd (pid ${pid}) still runs ${timeoutMs / 1000} s after SIGTERM`,
      { hint: 'a large buffer pool can take longer to flush; run down again to keep waiting' },
    );
  }
}
