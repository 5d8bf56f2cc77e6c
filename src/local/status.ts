import { DatabaseError } from '../errors.js';
import type { Connection } from '../mariadb/connection.js';
import { stateLayout, DEFAULT_STATE_DIR } from '../mariadb/layout.js';
import type { ProfileName } from '../mariadb/profile.js';
import { readServerPid } from '../mariadb/server.js';
import { readProcessStartTime } from '../util/process.js';
import { connectLocal } from './client.js';
import { agentStatus, type AgentStatus } from './agent-process.js';
import { readManifest, type StateManifest } from './manifest.js';

/** Encryption at rest as the running server reports it. */
export interface EncryptionSummary {
  readonly keyManagement: string;
  readonly keyStorage: string;
  readonly innodbTables: string;
  readonly redoLog: boolean;
  readonly temporaryTables: boolean;
  readonly temporaryFiles: boolean;
  readonly binlog: boolean;
  readonly aria: boolean;
  readonly unencryptedTablespaces: number;
}

/** Transport security as the running server reports it. */
export interface TlsSummary {
  readonly required: boolean;
  readonly versions: string;
  readonly sessionCipher: string;
  readonly certificateExpires: string | undefined;
}

/** Result of {@link status}. */
export interface StatusReport {
  readonly dir: string;
  readonly profile: ProfileName;
  readonly running: boolean;
  readonly pid: number | undefined;
  readonly port: number;
  readonly uptimeSeconds: number | undefined;
  readonly version: string | undefined;
  readonly encryption: EncryptionSummary | undefined;
  readonly tls: TlsSummary | undefined;
  /** The agent that serves broker keys over loopback (`vault` key delivery only). */
  readonly agent: AgentStatus | undefined;
  /** Plain statements about what this setup does not protect. */
  readonly notes: readonly string[];
  /** Reason the running server could not be queried. */
  readonly problem?: string;
}

function describeKeys(manifest: StateManifest, agent: AgentStatus | undefined) {
  const source = manifest.keySource;
  if (source) {
    const keyStorage =
      source.mode === 'vault'
        ? `released by the key broker ${source.url} (key set ${source.keyset}) and ${agentText(agent)}`
        : `released by the key broker ${source.url} (key set ${source.keyset}) as a key file on tmpfs, deleted after start`;
    const simulated =
      source.evidence === 'simulated'
        ? ' The attestation evidence is SIMULATED, not TDX hardware.'
        : '';
    return { keyStorage, keyNote: `Keys: ${keyStorage}; none on persistent storage.${simulated}` };
  }

  const keyStorage = manifest.filekeyPath
    ? `key file on local disk, encrypted with the passphrase in ${manifest.filekeyPath}`
    : 'key file on local disk, in clear (mode 0600)';
  const keyNote =
    `Keys: ${keyStorage}. This is a development default: anyone who can read the disk ` +
    'can read the keys. Keys released only to an attested TD replace it in production.';
  return { keyStorage, keyNote };
}

function agentText(agent: AgentStatus | undefined): string {
  if (agent?.running) return `served from memory by the agent (pid ${agent.pid})`;
  return 'meant to be served by the agent, which is NOT running';
}

/** Describes a problem with the agent of a running server and what to do about it. */
function agentProblem(agent: AgentStatus | undefined, serverRunning: boolean) {
  if (!agent || agent.running || !serverRunning) return undefined;
  return (
    'the agent that serves the keys is not running, so MariaDB cannot fetch keys or key ' +
    `versions it has not cached; run mariadb-tdx up to start it again (its log: ${agent.logFile})`
  );
}

/** Reports whether the local server runs and how its data is protected. */
export async function status(options: { dir?: string | undefined } = {}): Promise<StatusReport> {
  const layout = stateLayout(options.dir ?? DEFAULT_STATE_DIR);
  const manifest = await readManifest(layout);
  const pid = await readServerPid(layout);
  const agent = manifest.keySource?.mode === 'vault' ? await agentStatus(layout) : undefined;
  const { keyStorage, keyNote } = describeKeys(manifest, agent);
  const agentIssue = agentProblem(agent, pid !== undefined);
  const notes = [
    keyNote,
    'In use: this server runs outside a TDX Trust Domain, so its memory is readable by the host.',
  ];

  const base = {
    dir: layout.root,
    profile: manifest.profile,
    port: manifest.port,
    agent,
    notes,
    ...(agentIssue ? { problem: agentIssue } : {}),
  };
  if (pid === undefined) {
    return {
      ...base,
      running: false,
      pid,
      uptimeSeconds: undefined,
      version: undefined,
      encryption: undefined,
      tls: undefined,
    };
  }

  let connection: Connection;
  try {
    connection = await connectLocal(layout.root);
  } catch (error) {
    if (!(error instanceof DatabaseError)) throw error;
    // The process runs but rejects or ignores connections, so report what /proc shows.
    const started = await readProcessStartTime(pid);
    return {
      ...base,
      running: true,
      pid,
      uptimeSeconds: started ? Math.round((Date.now() - started.getTime()) / 1000) : undefined,
      version: undefined,
      encryption: undefined,
      tls: undefined,
      problem: [`${error.message} (${error.code})`, agentIssue].filter(Boolean).join('; '),
    };
  }

  try {
    const live = await readLiveStatus(connection, keyStorage);
    return { ...base, running: true, pid, ...live };
  } finally {
    await connection.end();
  }
}

interface VariableRow {
  Variable_name: string;
  Value: string;
}

async function readLiveStatus(connection: Connection, keyStorage: string) {
  const variables = await readNameValues(
    connection,
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'innodb_encrypt_tables', " +
      "'innodb_encrypt_log', 'innodb_encrypt_temporary_tables', 'encrypt_tmp_files', " +
      "'encrypt_tmp_disk_tables', 'encrypt_binlog', 'aria_encrypt_tables', " +
      "'require_secure_transport', 'tls_version', 'log_bin')",
  );
  const globalStatus = await readNameValues(
    connection,
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Uptime', 'Ssl_server_not_after')",
  );
  const sessionStatus = await readNameValues(connection, "SHOW SESSION STATUS LIKE 'Ssl_cipher'");
  const plugins = (await connection.query(
    "SELECT PLUGIN_NAME, PLUGIN_STATUS, LOAD_OPTION FROM information_schema.PLUGINS WHERE PLUGIN_TYPE = 'ENCRYPTION'",
  )) as { PLUGIN_NAME: string; PLUGIN_STATUS: string; LOAD_OPTION: string }[];
  // The temporary tablespace never appears in INNODB_TABLESPACES_ENCRYPTION; its encryption
  // is innodb_encrypt_temporary_tables, reported separately.
  const [unencrypted] = (await connection.query(
    'SELECT COUNT(*) AS n FROM information_schema.INNODB_SYS_TABLESPACES t ' +
      'LEFT JOIN information_schema.INNODB_TABLESPACES_ENCRYPTION e ON e.SPACE = t.SPACE ' +
      "WHERE IFNULL(e.ENCRYPTION_SCHEME, 0) = 0 AND t.NAME <> 'innodb_temporary'",
  )) as { n: bigint }[];

  const on = (name: string) =>
    ['ON', '1', 'FORCE'].includes((variables.get(name) ?? '').toUpperCase());
  const plugin = plugins[0];

  return {
    uptimeSeconds: Number(globalStatus.get('uptime') ?? 0),
    version: variables.get('version'),
    encryption: {
      keyManagement: plugin
        ? `${plugin.PLUGIN_NAME} ${plugin.PLUGIN_STATUS} ${plugin.LOAD_OPTION}`
        : 'none',
      keyStorage,
      innodbTables: variables.get('innodb_encrypt_tables') ?? 'OFF',
      redoLog: on('innodb_encrypt_log'),
      temporaryTables: on('innodb_encrypt_temporary_tables') && on('encrypt_tmp_disk_tables'),
      temporaryFiles: on('encrypt_tmp_files'),
      binlog: on('log_bin') ? on('encrypt_binlog') : true,
      aria: on('aria_encrypt_tables'),
      unencryptedTablespaces: Number(unencrypted?.n ?? 0),
    },
    tls: {
      required: on('require_secure_transport'),
      versions: variables.get('tls_version') ?? '',
      sessionCipher: sessionStatus.get('ssl_cipher') ?? '',
      certificateExpires: globalStatus.get('ssl_server_not_after') || undefined,
    },
  };
}

async function readNameValues(connection: Connection, sql: string): Promise<Map<string, string>> {
  const rows = (await connection.query(sql)) as VariableRow[];
  return new Map(rows.map((row) => [row.Variable_name.toLowerCase(), row.Value]));
}
