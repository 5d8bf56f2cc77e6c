import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** Default state directory, relative to the working directory. */
export const DEFAULT_STATE_DIR = '.mariadb-tdx';

/** Name of the manifest that marks a directory as a mariadb-tdx state directory. */
export const MANIFEST_NAME = 'mariadb-tdx.json';

// Unix socket paths are limited to 108 bytes including the terminating NUL (sun_path).
const MAX_SOCKET_PATH = 107;

/** Every path of a local server's state directory. */
export interface StateLayout {
  readonly root: string;
  readonly manifest: string;
  readonly serverOptionFile: string;
  /** Option file of the user's own server settings, included at the end of serverOptionFile. */
  readonly extraOptionFile: string;
  readonly clientOptionFile: string;
  readonly keysDir: string;
  readonly keyFile: string;
  readonly encryptedKeyFile: string;
  readonly keyCheckFile: string;
  /** Check values of keys released by a key broker (public values). */
  readonly brokerKeyCheckFile: string;
  /** RAM-backed directory for a broker-released key file and the agent's per-boot CA. */
  readonly ramKeysDir: string;
  /** Pid of the agent that serves broker-released keys to this server. */
  readonly agentPidFile: string;
  /** The running agent's endpoint (URL and CA file), so a restart can reuse its port. */
  readonly agentStateFile: string;
  /** Service log of the agent (JSON lines, never key material). */
  readonly agentLogFile: string;
  readonly tlsDir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly secretsDir: string;
  readonly adminPasswordFile: string;
  readonly dataDir: string;
  readonly binlogDir: string;
  readonly binlogBase: string;
  readonly logDir: string;
  readonly errorLog: string;
  readonly auditLog: string;
  readonly runDir: string;
  readonly pidFile: string;
  readonly socket: string;
  readonly filesDir: string;
  /** Private directory under /dev/shm, or undefined when the system has no /dev/shm. */
  readonly ramTmpDir: string | undefined;
  /** Directory inside the state directory, on the same disk as the data. */
  readonly diskTmpDir: string;
}

// MariaDB silently ignores an option file whose path is longer than FN_REFLEN (512 bytes), and
// the files of the state directory add up to 30 characters to its path.
const MAX_OPTION_PATH = 400;

// Characters that MariaDB option files treat as comments or quotes, and that the
// mariadb-install-db shell script splits paths on.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
const UNSAFE_PATH_CHARACTER = /[\s#;'"\\`$]|[\u0000-\u001f\u007f]/;

/**
 * Checks that a path can be written into a MariaDB option file and passed to
 * mariadb-install-db unchanged. Throws ConfigError INVALID_OPTION naming the option.
 */
export function validateOptionPath(path: string, option: string) {
  const unsafe = UNSAFE_PATH_CHARACTER.exec(path);
  if (unsafe) {
    const character = JSON.stringify(unsafe[0]);
    throw new ConfigError(
      'INVALID_OPTION',
      `${option} ${path} contains ${character}, which MariaDB option files or mariadb-install-db cannot handle`,
      { hint: `choose a path without spaces, #, ;, quotes, backslashes, $ or backticks` },
    );
  }
  if (path.length > MAX_OPTION_PATH) {
    throw new ConfigError(
      'INVALID_OPTION',
      `${option} is ${path.length} characters long; MariaDB needs paths of at most ${MAX_OPTION_PATH}`,
      { hint: 'choose a shorter path' },
    );
  }
}

/** Resolves a state directory to an absolute path, following symbolic links when it exists. */
export function resolveStateRoot(dir: string): string {
  const absolute = resolve(dir);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}

/** Derives the layout of a state directory. */
export function stateLayout(dir: string): StateLayout {
  const root = resolveStateRoot(dir);
  const rootHash = createHash('sha256').update(root).digest('hex').slice(0, 12);
  const runDir = join(root, 'run');
  const socketInRoot = join(runDir, 'mariadbd.sock');
  const socket =
    socketInRoot.length <= MAX_SOCKET_PATH
      ? socketInRoot
      : join('/tmp', `mariadb-tdx-${rootHash}.sock`);

  return {
    root,
    manifest: join(root, MANIFEST_NAME),
    serverOptionFile: join(root, 'mariadb.cnf'),
    extraOptionFile: join(root, 'extra.cnf'),
    clientOptionFile: join(root, 'client.cnf'),
    keysDir: join(root, 'keys'),
    keyFile: join(root, 'keys', 'keyfile'),
    encryptedKeyFile: join(root, 'keys', 'keyfile.enc'),
    keyCheckFile: join(root, 'keys', 'key-check.json'),
    brokerKeyCheckFile: join(root, 'keys', 'broker-key-check.json'),
    ramKeysDir: join('/dev/shm', `mariadb-tdx-${rootHash}-keys`),
    agentPidFile: join(runDir, 'agent.pid'),
    agentStateFile: join(runDir, 'agent.json'),
    agentLogFile: join(root, 'log', 'agent.log'),
    tlsDir: join(root, 'tls'),
    caCert: join(root, 'tls', 'ca.pem'),
    caKey: join(root, 'tls', 'ca-key.pem'),
    serverCert: join(root, 'tls', 'server.pem'),
    serverKey: join(root, 'tls', 'server-key.pem'),
    clientCert: join(root, 'tls', 'client.pem'),
    clientKey: join(root, 'tls', 'client-key.pem'),
    secretsDir: join(root, 'secrets'),
    adminPasswordFile: join(root, 'secrets', 'admin.password'),
    dataDir: join(root, 'data'),
    binlogDir: join(root, 'binlog'),
    binlogBase: join(root, 'binlog', 'binlog'),
    logDir: join(root, 'log'),
    errorLog: join(root, 'log', 'error.log'),
    auditLog: join(root, 'log', 'audit.log'),
    runDir,
    pidFile: join(runDir, 'mariadbd.pid'),
    socket,
    filesDir: join(root, 'files'),
    ramTmpDir: existsSync('/dev/shm') ? join('/dev/shm', `mariadb-tdx-${rootHash}`) : undefined,
    diskTmpDir: join(root, 'tmp'),
  };
}

/** A server's tmpdir and whether it is RAM-backed. */
export interface TmpDirChoice {
  readonly path: string;
  readonly onRam: boolean;
}

/**
 * Chooses tmpdir. The hardened and plain profiles use RAM where the system has it, because
 * MariaDB 10.11 leaves internal temporary tables unencrypted and RAM is the one place where
 * they never reach a disk. The baseline keeps tmpdir on disk, as the configuration it stands
 * for does.
 */
export function chooseTmpDir(layout: StateLayout, ramPreferred: boolean): TmpDirChoice {
  if (ramPreferred && layout.ramTmpDir !== undefined)
    return { path: layout.ramTmpDir, onRam: true };
  return { path: layout.diskTmpDir, onRam: false };
}
