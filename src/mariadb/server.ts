import { spawn } from 'node:child_process';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerError } from '../errors.js';
import { readLastLines } from '../util/fs.js';
import { isProcessRunning, readProcessCommandLine, waitForProcessExit } from '../util/process.js';
import type { MariadbBinaries } from './binaries.js';
import type { StateLayout } from './layout.js';

const ERROR_LOG_TAIL_LINES = 15;

interface RunResult {
  readonly code: number | null;
  readonly output: string;
  /** True when the run was stopped because it timed out or `signal` aborted. */
  readonly stopped: 'timeout' | 'aborted' | undefined;
}

/** Limits of a setup program run (mariadb-install-db, mariadbd --bootstrap). */
export interface SetupControl {
  /** Default 300 s. A full disk makes MariaDB wait for free space without end. */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

const DEFAULT_SETUP_TIMEOUT_MS = 300_000;
const KILL_GRACE_MS = 5_000;

/**
 * Runs a program in its own process group, so that Ctrl-C reaches only this tool, which then
 * stops the whole group (install-db runs mariadbd as a child). A run that times out or is
 * aborted gets SIGTERM, then SIGKILL: mariadbd waiting for disk space ignores SIGTERM.
 */
function run(
  command: string,
  args: readonly string[],
  input?: string,
  env?: NodeJS.ProcessEnv,
  control: SetupControl = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: env ?? process.env,
      detached: true,
    });
    const chunks: Buffer[] = [];
    let stopped: RunResult['stopped'];
    const stop = (reason: 'timeout' | 'aborted') => {
      stopped ??= reason;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop('timeout'), control.timeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS);
    const onAbort = () => stop('aborted');
    control.signal?.addEventListener('abort', onAbort, { once: true });
    if (control.signal?.aborted) onAbort();

    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      control.signal?.removeEventListener('abort', onAbort);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8'), stopped });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has exited already.
  }
}

/** Turns a stopped setup run into the error that says why. */
async function stoppedRunError(
  program: string,
  result: RunResult,
  layout: StateLayout,
  control: SetupControl,
): Promise<ServerError> {
  if (result.stopped === 'aborted') {
    return new ServerError('INTERRUPTED', `${program} was interrupted`, {
      hint: 'run up again; a first start that did not finish starts over',
    });
  }
  const seconds = (control.timeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS) / 1000;
  const log = await readLastLines(layout.errorLog, ERROR_LOG_TAIL_LINES);
  return new ServerError(
    'INSTALL_DB_FAILED',
    `${program} did not finish within ${seconds} s and was stopped; last lines of ${layout.errorLog}:\n${log.join('\n')}`,
    { hint: 'MariaDB waits without end when the disk is full; free space and run up again' },
  );
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
  control: SetupControl = {},
) {
  // --datadir repeats the option file's value, so that install-db never falls back to the
  // system data directory if MariaDB cannot read the option file.
  const result = await run(
    binaries.installDb,
    [
      `--defaults-file=${layout.serverOptionFile}`,
      `--datadir=${layout.dataDir}`,
      '--skip-test-db',
      '--skip-name-resolve',
    ],
    undefined,
    env,
    control,
  );
  if (result.stopped) throw await stoppedRunError('mariadb-install-db', result, layout, control);
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
  control: SetupControl = {},
) {
  const result = await run(
    binaries.mariadbd,
    [
      `--defaults-file=${layout.serverOptionFile}`,
      `--datadir=${layout.dataDir}`,
      '--bootstrap',
      '--skip-networking',
      '--strict-password-validation=OFF',
    ],
    sql,
    env,
    control,
  );
  if (result.stopped) throw await stoppedRunError('mariadbd --bootstrap', result, layout, control);
  if (result.code !== 0) {
    const log = await readLastLines(layout.errorLog, ERROR_LOG_TAIL_LINES);
    throw new ServerError(
      'BOOTSTRAP_FAILED',
      `mariadbd --bootstrap failed with exit code ${result.code}; last lines of ${layout.errorLog}:\n${log.join('\n')}`,
      { hint: `see ${layout.errorLog}` },
    );
  }
}

/** A mariadbd process that {@link spawnServer} started. */
export interface SpawnedServer {
  readonly pid: number;
  /** Size of the error log before the start, so that only this start's lines are shown. */
  readonly errorLogOffset: number;
  /** File that receives what mariadbd writes to stdout and stderr before its log opens. */
  readonly outputFile: string;
  readonly outputOffset: number;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Starts mariadbd in the background, detached from this process. `env` replaces the
 * environment, for example to hand hashicorp_key_management its VAULT_TOKEN without writing it
 * to an option file.
 */
export async function spawnServer(
  binaries: MariadbBinaries,
  layout: StateLayout,
  env?: NodeJS.ProcessEnv,
): Promise<SpawnedServer> {
  const outputFile = join(layout.logDir, 'mariadbd.out');
  const errorLogOffset = await fileSize(layout.errorLog);
  const outputOffset = await fileSize(outputFile);
  const output = await open(outputFile, 'a', 0o600);
  try {
    const child = spawn(binaries.mariadbd, [`--defaults-file=${layout.serverOptionFile}`], {
      detached: true,
      stdio: ['ignore', output.fd, output.fd],
      env: env ?? process.env,
    });
    child.unref();
    if (child.pid === undefined) {
      throw new ServerError('START_FAILED', `could not start ${binaries.mariadbd}`);
    }
    return { pid: child.pid, errorLogOffset, outputFile, outputOffset };
  } finally {
    await output.close();
  }
}

async function readFrom(path: string, offset: number): Promise<string> {
  try {
    const data = await readFile(path);
    return data.subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/** Lines that this start wrote to the error log and to standard error, the last ones first kept. */
async function startOutput(server: SpawnedServer, layout: StateLayout): Promise<string> {
  const log = (await readFrom(layout.errorLog, server.errorLogOffset)).trimEnd();
  const output = (await readFrom(server.outputFile, server.outputOffset)).trimEnd();
  const lines = [...output.split('\n'), ...log.split('\n')].filter((line) => line !== '');
  return lines.slice(-ERROR_LOG_TAIL_LINES).join('\n');
}

/**
 * Waits until mariadbd logs that it is ready for connections. Fails early, with what this start
 * logged, when the process exits first; throws INTERRUPTED when `signal` aborts.
 */
export async function waitForServer(
  server: SpawnedServer,
  port: number,
  layout: StateLayout,
  timeoutMs: number,
  signal?: AbortSignal,
) {
  const deadline = Date.now() + timeoutMs;

  while (Date.now() < deadline) {
    if (signal?.aborted) {
      throw new ServerError('INTERRUPTED', 'the start of mariadbd was interrupted', {
        hint: 'the server was stopped; run up again',
      });
    }
    if (!(await isProcessRunning(server.pid))) {
      throw await startFailure(server, layout, port);
    }
    const log = await readFrom(layout.errorLog, server.errorLogOffset);
    if (/ready for connections/.test(log)) return;
    await sleep(200);
  }

  throw new ServerError(
    'START_TIMEOUT',
    `mariadbd (pid ${server.pid}) was not ready for connections on port ${port} within ${timeoutMs / 1000} s; it logged:\n${await startOutput(server, layout)}`,
    { hint: `read ${layout.errorLog}; mariadb-tdx stopped the server, no data was changed` },
  );
}

async function startFailure(
  server: SpawnedServer,
  layout: StateLayout,
  port: number,
): Promise<ServerError> {
  const text = await startOutput(server, layout);
  if (/Address already in use|Bind on TCP\/IP port/.test(text)) {
    return new ServerError('PORT_IN_USE', `port ${port} on 127.0.0.1 is in use`, {
      hint: 'stop the program that uses it, or pass --port with a free port',
    });
  }
  return new ServerError(
    'START_FAILED',
    `mariadbd exited during start; it logged:\n${text || '(nothing)'}`,
    {
      hint: `fix the cause named above (full log: ${layout.errorLog}) and run up again; no data was changed`,
    },
  );
}

/**
 * Finds the running mariadbd of this state directory: the pid in its pid file, or else any
 * process started with this directory's option file. A stale pid never gets a signal meant for
 * it, because the process's command line must name the option file.
 */
export async function readServerPid(layout: StateLayout): Promise<number | undefined> {
  const fromFile = await readPidFile(layout.pidFile);
  if (fromFile !== undefined && (await isOurServer(fromFile, layout))) return fromFile;
  return findServerProcess(layout);
}

async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function isOurServer(pid: number, layout: StateLayout): Promise<boolean> {
  if (!(await isProcessRunning(pid))) return false;
  const commandLine = await readProcessCommandLine(pid);
  return commandLine?.some((arg) => arg === `--defaults-file=${layout.serverOptionFile}`) === true;
}

async function findServerProcess(layout: StateLayout): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid !== process.pid && (await isOurServer(pid, layout))) return pid;
  }
  return undefined;
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
