import { rm } from 'node:fs/promises';
import { ConfigError, ServerError } from '../errors.js';
import { stateLayout, DEFAULT_STATE_DIR } from '../mariadb/layout.js';
import { readServerPid, stopServer } from '../mariadb/server.js';
import { stopAgent } from './agent-process.js';
import { lockStateDir } from './lock.js';
import { classifyStateDir, readManifest } from './manifest.js';

/** Options of {@link down}. */
export interface DownOptions {
  readonly dir?: string | undefined;
  /** Deletes the state directory (data, keys, certificates) after the server stopped. */
  readonly purge?: boolean | undefined;
  /** Confirms `purge`; without it nothing is deleted. */
  readonly yes?: boolean | undefined;
  readonly timeoutMs?: number | undefined;
  /** Called with a short description of each step. */
  readonly onStep?: ((step: string) => void) | undefined;
}

/** Result of {@link down}. */
export interface DownResult {
  readonly dir: string;
  /** Pid of the server that was stopped, or undefined when none was running. */
  readonly stoppedPid: number | undefined;
  /** Pid of the key broker agent that was stopped, or undefined when none was running. */
  readonly stoppedAgentPid: number | undefined;
  readonly purged: boolean;
}

const DEFAULT_STOP_TIMEOUT_MS = 120_000;

/**
 * Stops the local server with SIGTERM and waits for a clean shutdown. With `purge` and `yes`
 * it then deletes the state directory, including the only copy of its keys.
 */
export async function down(options: DownOptions = {}): Promise<DownResult> {
  const layout = stateLayout(options.dir ?? DEFAULT_STATE_DIR);
  if (options.purge && !options.yes) {
    throw new ConfigError(
      'INVALID_OPTION',
      `--purge deletes ${layout.root} with its data and, unless its keys come from a key ` +
        'broker, the only copy of its keys',
      { hint: 'add --yes to confirm' },
    );
  }

  const kind = await classifyStateDir(layout);
  if (kind === 'foreign' || kind === 'file') {
    throw new ConfigError(
      'STATE_DIR_FOREIGN',
      `${layout.root} is not a mariadb-tdx state directory (no mariadb-tdx.json)`,
      { hint: 'check --dir; mariadb-tdx does not touch directories it did not create' },
    );
  }
  if (kind !== 'ours') {
    throw new ConfigError('STATE_DIR_MISSING', `${layout.root} does not exist or is empty`, {
      hint: 'check --dir',
    });
  }
  await readManifest(layout);

  const release = await lockStateDir(layout);
  let pid: number | undefined;
  let agentPid: number | undefined;
  try {
    pid = await readServerPid(layout);
    if (pid !== undefined) {
      options.onStep?.(`stopping mariadbd (pid ${pid}); a clean shutdown flushes every page`);
      await stopServer(pid, options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    }
    // The agent serves keys to the server; it stops after the server no longer needs them.
    agentPid = await stopAgent(layout);
    // What the key broker delivered for this boot (the agent's CA, a key file) is not needed
    // by a stopped server, and the next start makes it again.
    await rm(layout.ramKeysDir, { recursive: true, force: true });
    await rm(layout.agentStateFile, { force: true });
    // A clean shutdown leaves tmpdir empty; whatever a crash left there (temporary tables,
    // sort files) is plaintext, and the next start creates the directory again.
    if (layout.ramTmpDir) await rm(layout.ramTmpDir, { recursive: true, force: true });
  } finally {
    await release();
  }

  if (options.purge) {
    if ((await readServerPid(layout)) !== undefined) {
      throw new ServerError('ALREADY_RUNNING', `a server still runs from ${layout.root}`, {
        hint: 'run down again before --purge',
      });
    }
    await rm(layout.root, { recursive: true, force: true });
    await rm(layout.ramKeysDir, { recursive: true, force: true });
    if (!layout.socket.startsWith(layout.root)) await rm(layout.socket, { force: true });
  }

  return {
    dir: layout.root,
    stoppedPid: pid,
    stoppedAgentPid: agentPid,
    purged: options.purge === true,
  };
}
