import { rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, DatabaseError, ServerError } from '../errors.js';
import { locateMariadb, type MariadbBinaries } from '../mariadb/binaries.js';
import {
  stateLayout,
  validateOptionPath,
  DEFAULT_STATE_DIR,
  type StateLayout,
} from '../mariadb/layout.js';
import { verifyLocalKeys } from '../mariadb/keystore.js';
import type { ProfileName, ServerOption } from '../mariadb/profile.js';
import { readServerPid, spawnServer, stopServer, waitForServer } from '../mariadb/server.js';
import { findFreePort, isPortFree } from '../util/net.js';
import { connectLocal } from './client.js';
import type { ExternalKeyProvider, ExternalKeys, KeyServiceRestarter } from './external-keys.js';
import {
  classifyStateDir,
  readManifest,
  writeManifest,
  type BrokerKeySource,
  type StateManifest,
} from './manifest.js';
import { applyKeySource } from './key-source.js';
import { lockStateDir, rejectIfLocked } from './lock.js';
import { describeServer, type LocalServerInfo } from './server-info.js';
import { ensurePrivateDirectory, ensurePrivateFile } from './permissions.js';
import { validateRemoteAdmins, type RemoteAdminAccount } from './remote-admins.js';
import { createState, initializeDataDir, prepareTmpDir, writeOptionFiles } from './state.js';

export type { KeyProtection, LocalServerInfo } from './server-info.js';

/** Options of {@link up}. */
export interface UpOptions {
  /** State directory; default `.mariadb-tdx` under the working directory. */
  readonly dir?: string | undefined;
  /** TCP port on 127.0.0.1; default a free port for a new directory, the recorded one after. */
  readonly port?: number | undefined;
  /** Passphrase file that encrypts the key file; fixed when the directory is created. */
  readonly filekeyPath?: string | undefined;
  /** Server profile of a new state directory; default `hardened`. */
  readonly profile?: ProfileName | undefined;
  /** Keys from a key broker by attestation instead of a local key file; fixed at creation. */
  readonly keySource?: BrokerKeySource | undefined;
  /** Obtains broker keys; required for a state directory with a broker key source. */
  readonly keyProvider?: ExternalKeyProvider | undefined;
  /** Restarts the key service of a running server when it died (broker key sources). */
  readonly keyServiceRestarter?: KeyServiceRestarter | undefined;
  readonly startTimeoutMs?: number | undefined;
  /** Called with a short description of each step. */
  readonly onStep?: ((step: string) => void) | undefined;
  /** Options written into a new state directory's extra.cnf; ignored for an existing one. */
  readonly extraOptions?: readonly ServerOption[] | undefined;
  /** Stops the start; a server already spawned is stopped again. */
  readonly signal?: AbortSignal | undefined;
  /** Address to listen on; default 127.0.0.1, then the recorded one. */
  readonly bindAddress?: string | undefined;
  /**
   * Administrator accounts for remote hosts, created with the data directory and required to
   * use TLS. Only their password hashes are passed.
   */
  readonly remoteAdmins?: readonly RemoteAdminAccount[] | undefined;
}

const DEFAULT_START_TIMEOUT_MS = 90_000;
const DEFAULT_STOP_AFTER_FAILURE_MS = 60_000;

/**
 * Starts the local MariaDB server of a state directory, creating the directory, keys, TLS
 * material and data directory on first use. An existing directory starts with its own keys and
 * data; nothing in it is ever regenerated or overwritten. The directory is locked meanwhile.
 */
export async function up(options: UpOptions = {}): Promise<LocalServerInfo> {
  const layout = stateLayout(options.dir ?? DEFAULT_STATE_DIR);
  validatePort(options.port);
  validateBindAddress(options.bindAddress);
  validateRemoteAdmins(options.remoteAdmins ?? []);
  validateOptionPath(layout.root, '--dir');
  const filekeyPath = options.filekeyPath ? resolve(options.filekeyPath) : undefined;
  if (filekeyPath) validateOptionPath(filekeyPath, '--filekey');

  const binaries = await locateMariadb();
  // A directory that another run is creating has files but no manifest yet; its lock tells.
  // Files appear only after that run took the lock, so the lock is read after the files.
  const kind = await classifyStateDir(layout);
  await rejectIfLocked(layout);
  rejectUnusable(layout, kind);
  await ensurePrivateDirectory(layout.root);
  const release = await lockStateDir(layout);
  try {
    return await upLocked(layout, binaries, { ...options, filekeyPath });
  } catch (error) {
    // A failure before anything was created leaves no empty directory behind.
    await release();
    if (kind === 'missing') await rmdir(layout.root).catch(() => undefined);
    throw error;
  } finally {
    await release();
  }
}

async function upLocked(
  layout: StateLayout,
  binaries: MariadbBinaries,
  options: UpOptions,
): Promise<LocalServerInfo> {
  const step = options.onStep ?? (() => undefined);
  const kind = await classifyStateDir(layout);
  rejectUnusable(layout, kind);

  let created = false;
  let manifest: StateManifest;
  if (kind === 'ours') {
    manifest = await prepareExisting(layout, options);
    const runningPid = await readServerPid(layout);
    if (runningPid !== undefined) {
      rejectPortChange(layout, manifest, options.port);
      if (manifest.keySource) {
        await options.keyServiceRestarter?.(layout, manifest.keySource, runningPid, step);
      }
      return describeServer(layout, manifest, binaries, runningPid, {
        created,
        alreadyRunning: true,
      });
    }
    await ensurePrivateSecrets(layout);
    manifest = await applyPlacement(layout, manifest, options);
  } else {
    const port = options.port ?? (await findFreePort());
    await ensurePortFree(port, options.bindAddress, false);
    step(
      options.keySource
        ? 'creating state directory and TLS material (keys come from the broker)'
        : 'creating state directory, keys and TLS material',
    );
    manifest = await createState(layout, options, port);
    created = true;
  }

  throwIfAborted(options.signal);
  const external = await obtainExternalKeys(layout, manifest, options, step);
  let pid: number | undefined;
  try {
    await writeOptionFiles(layout, manifest, external, options.extraOptions ?? []);
    if (!manifest.initialized) {
      manifest = await initializeDataDir(
        layout,
        manifest,
        binaries,
        step,
        external,
        { remoteAdmins: options.remoteAdmins },
        options.signal,
      );
    }

    if (!external) {
      step('comparing key check values');
      await verifyLocalKeys(layout, { filekeyPath: manifest.filekeyPath });
    }
    await prepareTmpDir(layout, manifest);
    throwIfAborted(options.signal);

    step(`starting mariadbd on ${manifest.bindAddress ?? '127.0.0.1'}:${manifest.port}`);
    const server = await spawnServer(binaries, layout, external?.env);
    pid = server.pid;
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    await waitForServer(server, manifest.port, layout, timeoutMs, options.signal);
    await external?.afterStart();

    step('connecting over TLS with the server certificate verified');
    const connection = await connectLocal(layout.root).catch((error: unknown) => {
      throw explainConnectFailure(error, layout);
    });
    await connection.end();
  } catch (error) {
    // A server that cannot be verified is not left running behind the user's back.
    if (pid !== undefined) {
      await stopServer(pid, DEFAULT_STOP_AFTER_FAILURE_MS).catch(() => undefined);
    }
    await external?.abort();
    throw error;
  }

  return describeServer(layout, manifest, binaries, pid, { created, alreadyRunning: false });
}

function rejectUnusable(layout: StateLayout, kind: Awaited<ReturnType<typeof classifyStateDir>>) {
  if (kind === 'file') {
    throw new ConfigError('STATE_DIR_NOT_DIRECTORY', `${layout.root} is a file, not a directory`, {
      hint: 'pass a directory with --dir',
    });
  }
  if (kind === 'foreign') {
    throw new ConfigError(
      'STATE_DIR_FOREIGN',
      `${layout.root} exists and is not a mariadb-tdx state directory (no mariadb-tdx.json)`,
      { hint: 'choose another --dir; mariadb-tdx does not touch directories it did not create' },
    );
  }
}

function rejectPortChange(layout: StateLayout, manifest: StateManifest, port: number | undefined) {
  if (port === undefined || port === manifest.port) return;
  throw new ServerError(
    'ALREADY_RUNNING',
    `the server of ${layout.root} already runs on port ${manifest.port}`,
    { hint: 'run mariadb-tdx down first to move it to another port' },
  );
}

function throwIfAborted(signal: AbortSignal | undefined) {
  if (signal?.aborted) {
    throw new ServerError('INTERRUPTED', 'up was interrupted before the server started', {
      hint: 'run up again; it continues where it stopped',
    });
  }
}

function explainConnectFailure(error: unknown, layout: StateLayout): unknown {
  if (error instanceof DatabaseError && error.code === 'TLS_UNAVAILABLE') {
    return new DatabaseError('TLS_UNAVAILABLE', `${error.message}; mariadb-tdx stopped it`, {
      hint: `remove the options that disable TLS from ${layout.extraOptionFile}`,
      cause: error,
    });
  }
  return error;
}

/** Rejects secrets of an existing state directory that others can read. */
async function ensurePrivateSecrets(layout: StateLayout) {
  await ensurePrivateFile(layout.adminPasswordFile, 'admin password file');
  for (const key of [layout.caKey, layout.serverKey, layout.clientKey]) {
    await ensurePrivateFile(key, 'TLS private key');
  }
}

function validatePort(port: number | undefined) {
  if (port === undefined) return;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError('INVALID_OPTION', `--port ${port} is not a TCP port (1 to 65535)`);
  }
}

// The local client connects over loopback and verifies the server certificate, which names
// 127.0.0.1 and ::1, so the server listens on loopback or on every interface.
const BIND_ADDRESSES = ['127.0.0.1', '::1', '0.0.0.0', '::'];

function validateBindAddress(bindAddress: string | undefined) {
  if (bindAddress === undefined || BIND_ADDRESSES.includes(bindAddress)) return;
  throw new ConfigError(
    'INVALID_OPTION',
    `--bind-address ${JSON.stringify(bindAddress)} is not supported`,
    {
      hint: 'use 127.0.0.1 or ::1 to listen on this machine only, or 0.0.0.0 or :: to listen on every interface',
    },
  );
}

/** Attests to the broker when keys come from one; undefined for a local key file. */
async function obtainExternalKeys(
  layout: StateLayout,
  manifest: StateManifest,
  options: UpOptions,
  step: (text: string) => void,
): Promise<ExternalKeys | undefined> {
  if (!manifest.keySource) return undefined;
  if (!options.keyProvider) {
    throw new ConfigError(
      'INVALID_OPTION',
      `${layout.root} gets its keys from the key broker ${manifest.keySource.url}`,
      { hint: 'start it with the CLI (mariadb-tdx up) or pass a keyProvider' },
    );
  }
  step(`obtaining keys from ${manifest.keySource.url} by attestation`);
  return options.keyProvider(layout, manifest.keySource, step);
}

async function prepareExisting(layout: StateLayout, options: UpOptions) {
  const manifest = await applyKeySource(layout, await readManifest(layout), options.keySource);
  const requestedFilekey = options.filekeyPath ? resolve(options.filekeyPath) : undefined;

  if (requestedFilekey !== undefined && requestedFilekey !== manifest.filekeyPath) {
    throw new ConfigError(
      'INVALID_OPTION',
      `${layout.root} was created ${manifest.filekeyPath ? `with --filekey ${manifest.filekeyPath}` : 'without --filekey'}; --filekey cannot change afterwards`,
      { hint: 'run up without --filekey; the state directory remembers it' },
    );
  }
  if (options.profile !== undefined && options.profile !== manifest.profile) {
    throw new ConfigError(
      'INVALID_OPTION',
      `${layout.root} holds a ${manifest.profile} server; --profile ${options.profile} cannot change it`,
      { hint: 'run up without --profile, or use another --dir for another profile' },
    );
  }
  return manifest;
}

async function ensurePortFree(port: number, bindAddress: string | undefined, recorded: boolean) {
  const host = bindAddress ?? '127.0.0.1';
  if (await isPortFree(port, host)) return;
  throw new ServerError('PORT_IN_USE', `port ${port} on ${host} is in use`, {
    hint: recorded
      ? 'another program took the recorded port; pass --port with a free one'
      : 'stop the program that uses it, or choose another --port',
  });
}

async function applyPlacement(layout: StateLayout, manifest: StateManifest, options: UpOptions) {
  const requested = options.port ?? manifest.port;
  const bindAddress = options.bindAddress ?? manifest.bindAddress;
  await ensurePortFree(requested, bindAddress, options.port === undefined);
  if (requested === manifest.port && bindAddress === manifest.bindAddress) return manifest;

  const updated = { ...manifest, port: requested, bindAddress };
  await writeManifest(layout, updated);
  return updated;
}
