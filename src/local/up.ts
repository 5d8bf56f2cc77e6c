import { chmod, mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, ServerError } from '../errors.js';
import { generatePassword, nativePasswordHash, adminAccountSql } from '../mariadb/accounts.js';
import { locateMariadb, type MariadbBinaries } from '../mariadb/binaries.js';
import { stateLayout, DEFAULT_STATE_DIR, type StateLayout } from '../mariadb/layout.js';
import { createLocalKeys, keyFilePath, readFilekey, verifyLocalKeys } from '../mariadb/keystore.js';
import {
  extraOptionFileTemplate,
  profileTmpDir,
  renderOptionFile,
  serverOptions,
  type ProfileName,
  type ServerOption,
} from '../mariadb/profile.js';
import {
  installDataDir,
  readServerPid,
  runBootstrapSql,
  spawnServer,
  stopServer,
  waitForServer,
} from '../mariadb/server.js';
import { generateTlsMaterial } from '../mariadb/tls.js';
import { findFreePort, isPortFree } from '../util/net.js';
import { pathExists, writeFileAtomic, writeNewFile } from '../util/fs.js';
import { connectLocal, renderClientOptionFile } from './client.js';
import { remoteAdminSql, validateRemoteAdmins, type RemoteAdminAccount } from './remote-admins.js';
import { classifyStateDir, readManifest, writeManifest, type StateManifest } from './manifest.js';

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
  readonly startTimeoutMs?: number | undefined;
  /** Called with a short description of each step. */
  readonly onStep?: ((step: string) => void) | undefined;
  /** Options written into a new state directory's extra.cnf; ignored for an existing one. */
  readonly extraOptions?: readonly ServerOption[] | undefined;
  /** Address to listen on; default 127.0.0.1, then the recorded one. */
  readonly bindAddress?: string | undefined;
  /**
   * Administrator accounts for remote hosts, created with the data directory and required to
   * use TLS. Only their password hashes are passed.
   */
  readonly remoteAdmins?: readonly RemoteAdminAccount[] | undefined;
}

/** Connection details of the server that {@link up} started. */
export interface LocalServerInfo {
  readonly dir: string;
  readonly profile: ProfileName;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly passwordFile: string;
  readonly caFile: string;
  readonly clientOptionFile: string;
  readonly clientCommand: string;
  readonly pid: number;
  readonly version: string;
  readonly keyProtection: 'key file' | 'encrypted key file';
  /** True when this call created the state directory. */
  readonly created: boolean;
  /** True when the server was already running and was left as it was. */
  readonly alreadyRunning: boolean;
}

const ADMIN_USER = 'admin';
const DEFAULT_START_TIMEOUT_MS = 90_000;
const DEFAULT_STOP_AFTER_FAILURE_MS = 60_000;

/**
 * Starts the local MariaDB server of a state directory, creating the directory, keys, TLS
 * material and data directory on first use. An existing directory starts with its own keys and
 * data; nothing in it is ever regenerated or overwritten.
 */
export async function up(options: UpOptions = {}): Promise<LocalServerInfo> {
  const step = options.onStep ?? (() => undefined);
  const layout = stateLayout(options.dir ?? DEFAULT_STATE_DIR);
  validatePort(options.port);
  validateRemoteAdmins(options.remoteAdmins ?? []);

  const binaries = await locateMariadb();
  const kind = await classifyStateDir(layout);
  if (kind === 'foreign') {
    throw new ConfigError(
      'STATE_DIR_FOREIGN',
      `${layout.root} exists and is not a mariadb-tdx state directory (no mariadb-tdx.json)`,
      { hint: 'choose another --dir; mariadb-tdx does not touch directories it did not create' },
    );
  }

  let created = false;
  let manifest: StateManifest;
  if (kind === 'ours') {
    manifest = await prepareExisting(layout, options);
    const runningPid = await readServerPid(layout);
    if (runningPid !== undefined) {
      return describe(layout, manifest, binaries, runningPid, { created, alreadyRunning: true });
    }
    manifest = await applyPlacement(layout, manifest, options);
  } else {
    const port = options.port ?? (await findFreePort());
    await ensurePortFree(port, options.bindAddress, false);
    step('creating state directory, keys and TLS material');
    manifest = await createState(layout, options, port);
    created = true;
  }

  await writeOptionFiles(layout, manifest, options.extraOptions ?? []);

  if (!manifest.initialized) {
    manifest = await initializeDataDir(layout, manifest, binaries, step, options.remoteAdmins);
  }

  step('comparing key check values');
  await verifyLocalKeys(layout, { filekeyPath: manifest.filekeyPath });
  await mkdir(profileTmpDir(manifest.profile, layout).path, { recursive: true, mode: 0o700 });

  step(`starting mariadbd on ${manifest.bindAddress ?? '127.0.0.1'}:${manifest.port}`);
  const pid = spawnServer(binaries, layout);
  try {
    await waitForServer(
      pid,
      manifest.port,
      layout,
      options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    );
    step('connecting over TLS with the server certificate verified');
    const connection = await connectLocal(layout.root);
    await connection.end();
  } catch (error) {
    // A server that cannot be verified is not left running behind the user's back.
    await stopServer(pid, DEFAULT_STOP_AFTER_FAILURE_MS).catch(() => undefined);
    throw error;
  }

  return describe(layout, manifest, binaries, pid, { created, alreadyRunning: false });
}

function validatePort(port: number | undefined) {
  if (port === undefined) return;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError('INVALID_OPTION', `--port ${port} is not a TCP port (1 to 65535)`);
  }
}

async function prepareExisting(layout: StateLayout, options: UpOptions) {
  const manifest = await readManifest(layout);
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
      { hint: 'use another --dir for another profile' },
    );
  }
  return manifest;
}

async function createState(
  layout: StateLayout,
  options: UpOptions,
  port: number,
): Promise<StateManifest> {
  const filekeyPath = options.filekeyPath ? resolve(options.filekeyPath) : undefined;
  if (filekeyPath) await readFilekey(filekeyPath);

  await mkdir(layout.root, { recursive: true, mode: 0o700 });
  await chmod(layout.root, 0o700);
  for (const dir of [layout.keysDir, layout.tlsDir, layout.secretsDir, layout.logDir]) {
    await mkdir(dir, { mode: 0o700 });
  }
  for (const dir of [layout.binlogDir, layout.runDir, layout.filesDir]) {
    await mkdir(dir, { mode: 0o700 });
  }

  const manifest: StateManifest = {
    tool: 'mariadb-tdx',
    format: 1,
    profile: options.profile ?? 'hardened',
    port,
    bindAddress: options.bindAddress,
    adminUser: ADMIN_USER,
    filekeyPath,
    createdAt: new Date().toISOString(),
    initialized: false,
  };
  await writeManifest(layout, manifest);

  await createLocalKeys(layout, { filekeyPath });
  await writeTlsMaterial(layout);
  await writeNewFile(layout.adminPasswordFile, `${generatePassword()}\n`);
  return manifest;
}

async function writeTlsMaterial(layout: StateLayout) {
  const material = await generateTlsMaterial();
  await writeNewFile(layout.caCert, material.caCert, 0o644);
  await writeNewFile(layout.caKey, material.caKey);
  await writeNewFile(layout.serverCert, material.serverCert, 0o644);
  await writeNewFile(layout.serverKey, material.serverKey);
  await writeNewFile(layout.clientCert, material.clientCert, 0o644);
  await writeNewFile(layout.clientKey, material.clientKey);
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

async function writeOptionFiles(
  layout: StateLayout,
  manifest: StateManifest,
  extraOptions: readonly ServerOption[],
) {
  const options = serverOptions(manifest.profile, {
    layout,
    port: manifest.port,
    keyFile: keyFilePath(layout, { filekeyPath: manifest.filekeyPath }),
    filekeyPath: manifest.filekeyPath,
    runAsRoot: process.getuid?.() === 0,
    bindAddress: manifest.bindAddress,
  });
  const header =
    `Generated by mariadb-tdx (${manifest.profile} profile) on every start; edits are replaced.\n` +
    `Put your own settings in ${layout.extraOptionFile}, included at the end.`;
  if (!(await pathExists(layout.extraOptionFile))) {
    await writeNewFile(
      layout.extraOptionFile,
      extraOptionFileTemplate(layout.serverOptionFile, extraOptions),
    );
  }
  await writeFileAtomic(
    layout.serverOptionFile,
    renderOptionFile('mariadbd', options, header, [layout.extraOptionFile]),
  );

  const password = (await readFile(layout.adminPasswordFile, 'utf8')).trim();
  await writeFileAtomic(
    layout.clientOptionFile,
    renderClientOptionFile(layout, manifest, password),
  );
}

async function initializeDataDir(
  layout: StateLayout,
  manifest: StateManifest,
  binaries: MariadbBinaries,
  step: (step: string) => void,
  remoteAdmins: readonly RemoteAdminAccount[] = [],
): Promise<StateManifest> {
  if (await pathExists(layout.dataDir)) {
    throw new ServerError(
      'INSTALL_DB_FAILED',
      `${layout.dataDir} exists from an earlier start that did not finish`,
      { hint: `remove ${layout.dataDir} (it holds no user data yet) and run up again` },
    );
  }

  step('verifying keys before the first write');
  await verifyLocalKeys(layout, { filekeyPath: manifest.filekeyPath });
  await mkdir(profileTmpDir(manifest.profile, layout).path, { recursive: true, mode: 0o700 });

  step('creating the encrypted system tables (mariadb-install-db)');
  await installDataDir(binaries, layout);

  step('creating the admin account (TLS required)');
  const password = (await readFile(layout.adminPasswordFile, 'utf8')).trim();
  const hash = nativePasswordHash(password);
  const requireTls = manifest.profile !== 'plain';
  const sql =
    adminAccountSql(manifest.adminUser, hash, requireTls) +
    remoteAdminSql(remoteAdmins, requireTls);
  await runBootstrapSql(binaries, layout, sql);

  const initialized = { ...manifest, initialized: true };
  await writeManifest(layout, initialized);
  return initialized;
}

function describe(
  layout: StateLayout,
  manifest: StateManifest,
  binaries: MariadbBinaries,
  pid: number,
  flags: { created: boolean; alreadyRunning: boolean },
): LocalServerInfo {
  return {
    dir: layout.root,
    profile: manifest.profile,
    host: '127.0.0.1',
    port: manifest.port,
    user: manifest.adminUser,
    passwordFile: layout.adminPasswordFile,
    caFile: layout.caCert,
    clientOptionFile: layout.clientOptionFile,
    clientCommand: `mariadb --defaults-file=${layout.clientOptionFile}`,
    pid,
    version: binaries.version,
    keyProtection: manifest.filekeyPath ? 'encrypted key file' : 'key file',
    ...flags,
  };
}
