import { chooseTmpDir, type StateLayout, type TmpDirChoice } from './layout.js';

/**
 * Server configurations that mariadb-tdx writes.
 *
 * - `hardened`: every encryption setting, TLS enforced, tmpdir in RAM; what `up` runs.
 * - `baseline`: the minimal configuration often published for TDX deployments
 *   (file_key_management with a key file, redo log and InnoDB temporary tables encrypted,
 *   tables created ENCRYPTED=YES, TLS available but not required), plus a binlog as production
 *   servers keep one. It exists to show what that configuration leaves open.
 * - `plain`: the hardened layout with encryption at rest and TLS off, for overhead benchmarks.
 */
export type ProfileName = 'hardened' | 'baseline' | 'plain';

export const PROFILE_NAMES: readonly ProfileName[] = ['hardened', 'baseline', 'plain'];

/** One line of the option file, with the reason it is there. */
export interface ServerOption {
  readonly name: string;
  readonly value?: string | number;
  readonly reason?: string;
}

/** Inputs of the option file that are not part of the profile itself. */
export interface ServerOptionInputs {
  readonly layout: StateLayout;
  readonly port: number;
  /** Key file for file_key_management; ignored when `vault` is set. */
  readonly keyFile: string;
  readonly filekeyPath?: string | undefined;
  /** Keys from a Vault KV v2 endpoint through hashicorp_key_management instead of a file. */
  readonly vault?: VaultKeySource | undefined;
  readonly runAsRoot: boolean;
  /** Address mariadbd listens on; default 127.0.0.1. */
  readonly bindAddress?: string | undefined;
}

/** Where hashicorp_key_management reads keys. The token is passed as VAULT_TOKEN, never here. */
export interface VaultKeySource {
  /** `https://host:port/v1/<mount>`. */
  readonly url: string;
  /** CA bundle that issued the endpoint's certificate. */
  readonly caFile: string;
}

/** Returns the `[mariadbd]` options of a profile, in the order they are written. */
export function serverOptions(profile: ProfileName, inputs: ServerOptionInputs): ServerOption[] {
  return [
    ...placementOptions(profile, inputs),
    ...loggingOptions(profile, inputs.layout),
    ...keyManagementOptions(profile, inputs),
    ...storageOptions(profile),
    ...encryptionOptions(profile),
    ...tlsOptions(profile, inputs.layout),
    ...hardeningOptions(profile, inputs.layout),
  ];
}

/** Returns the tmpdir a profile uses in a state directory. */
export function profileTmpDir(profile: ProfileName, layout: StateLayout): TmpDirChoice {
  return chooseTmpDir(layout, profile !== 'baseline');
}

function placementOptions(profile: ProfileName, inputs: ServerOptionInputs): ServerOption[] {
  const { layout, port, runAsRoot } = inputs;
  const tmpDir = profileTmpDir(profile, layout);
  const bindAddress = inputs.bindAddress ?? '127.0.0.1';
  const options: ServerOption[] = [
    { name: 'datadir', value: layout.dataDir },
    { name: 'socket', value: layout.socket },
    { name: 'pid_file', value: layout.pidFile },
    { name: 'port', value: port },
    {
      name: 'bind_address',
      value: bindAddress,
      reason:
        bindAddress === '127.0.0.1'
          ? 'a local server listens on loopback only'
          : 'clients reach this server over the network; accounts and the profile require TLS',
    },
    {
      name: 'tmpdir',
      value: tmpDir.path,
      reason: tmpDir.onRam
        ? 'RAM-backed: internal temporary tables are not encrypted by MariaDB 10.11'
        : 'on disk: internal temporary tables reach the disk in clear',
    },
    { name: 'character_set_server', value: 'utf8mb4' },
  ];
  if (runAsRoot) {
    options.push({ name: 'user', value: 'root', reason: 'mariadb-tdx was started as root' });
  }
  return options;
}

function loggingOptions(profile: ProfileName, layout: StateLayout): ServerOption[] {
  const options: ServerOption[] = [
    { name: 'log_error', value: layout.errorLog },
    {
      name: 'general_log',
      value: 0,
      reason: 'the general log records statements with their values',
    },
    {
      name: 'slow_query_log',
      value: 0,
      reason: 'the slow log records statements with their values',
    },
    { name: 'log_output', value: 'FILE', reason: 'TABLE would store logs as CSV in the datadir' },
    { name: 'log_bin', value: layout.binlogBase },
    { name: 'server_id', value: 1 },
    { name: 'binlog_format', value: 'ROW' },
  ];
  if (profile === 'hardened') {
    options.push({ name: 'encrypt_binlog', value: 'ON', reason: 'binlogs hold every changed row' });
  }
  return options;
}

function keyManagementOptions(profile: ProfileName, inputs: ServerOptionInputs): ServerOption[] {
  if (profile === 'plain') return [];
  if (inputs.vault) return vaultKeyOptions(profile, inputs.vault);

  const options: ServerOption[] = [
    { name: 'plugin_load_add', value: 'file_key_management' },
    { name: 'file_key_management_filename', value: inputs.keyFile },
  ];
  if (inputs.filekeyPath) {
    options.push({
      name: 'file_key_management_filekey',
      value: `FILE:${inputs.filekeyPath}`,
      reason: 'the key file is encrypted; the passphrase stays in this file, not in SHOW VARIABLES',
    });
  }
  if (profile === 'hardened') {
    options.push(
      {
        name: 'file_key_management',
        value: 'FORCE_PLUS_PERMANENT',
        reason: 'a missing key stops the server instead of reporting tables as corrupt',
      },
      {
        name: 'file_key_management_encryption_algorithm',
        value: 'aes_ctr',
        reason: 'fixed before any data is written; changing it later makes pages unreadable',
      },
    );
  }
  return options;
}

function vaultKeyOptions(profile: ProfileName, vault: VaultKeySource): ServerOption[] {
  const options: ServerOption[] = [
    { name: 'plugin_load_add', value: 'hashicorp_key_management' },
    {
      name: 'hashicorp_key_management_vault_url',
      value: vault.url,
      reason: 'keys come from the attested agent on loopback; the token is in VAULT_TOKEN',
    },
    { name: 'hashicorp_key_management_vault_ca', value: vault.caFile },
  ];
  if (profile === 'hardened') {
    options.push(
      {
        name: 'hashicorp_key_management',
        value: 'FORCE_PLUS_PERMANENT',
        reason: 'a missing key stops the server instead of reporting tables as corrupt',
      },
      {
        name: 'hashicorp_key_management_cache_version_timeout',
        value: 60000,
        reason: 'a rotated key version is picked up within a minute',
      },
    );
  }
  return options;
}

// Storage layout of the hardened profile; `plain` keeps it so that benchmarks compare the same
// server with and without encryption.
function storageOptions(profile: ProfileName): ServerOption[] {
  if (profile === 'baseline') return [];
  return [
    {
      name: 'innodb_undo_tablespaces',
      value: 3,
      reason: 'undo records leave ibdata1 for their own encrypted tablespaces',
    },
    {
      name: 'innodb_immediate_scrub_data_uncompressed',
      value: 'ON',
      reason: 'freed pages are zeroed instead of keeping old rows',
    },
  ];
}

function encryptionOptions(profile: ProfileName): ServerOption[] {
  if (profile === 'plain') return [];

  const common: ServerOption[] = [
    { name: 'innodb_encrypt_log', value: 'ON' },
    { name: 'innodb_encrypt_temporary_tables', value: 'ON' },
    { name: 'innodb_encryption_threads', value: 4 },
  ];
  if (profile === 'baseline') return common;

  return [
    {
      name: 'innodb_encrypt_tables',
      value: 'FORCE',
      reason: 'covers the system and undo tablespaces and rejects ENCRYPTED=NO',
    },
    ...common,
    { name: 'encrypt_tmp_files', value: 'ON', reason: 'filesort and binlog cache spill files' },
    { name: 'encrypt_tmp_disk_tables', value: 'ON' },
    { name: 'aria_encrypt_tables', value: 'ON' },
  ];
}

function tlsOptions(profile: ProfileName, layout: StateLayout): ServerOption[] {
  if (profile === 'plain') return [];

  const certificates: ServerOption[] = [
    { name: 'ssl_ca', value: layout.caCert },
    { name: 'ssl_cert', value: layout.serverCert },
    { name: 'ssl_key', value: layout.serverKey },
  ];
  if (profile === 'baseline') return certificates;

  return [
    ...certificates,
    { name: 'tls_version', value: 'TLSv1.2,TLSv1.3' },
    {
      name: 'ssl_cipher',
      value: TLS12_CIPHERS.join(':'),
      reason: 'TLSv1.2 suites with forward secrecy and AEAD only; TLSv1.3 suites stay the default',
    },
    {
      name: 'require_secure_transport',
      value: 'ON',
      reason: 'TCP connections without TLS are rejected',
    },
  ];
}

/**
 * TLSv1.2 cipher suites of the hardened profile: ECDHE key exchange (forward secrecy) with GCM or
 * ChaCha20-Poly1305, for ECDSA and RSA server certificates. OpenSSL's default list also offers
 * static-RSA and CBC suites.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;

function hardeningOptions(profile: ProfileName, layout: StateLayout): ServerOption[] {
  if (profile === 'baseline') return [];

  return [
    {
      name: 'enforce_storage_engine',
      value: 'InnoDB',
      reason: 'Aria and MyISAM changes reach logs and files that MariaDB never encrypts',
    },
    { name: 'skip_name_resolve', value: 'ON' },
    { name: 'local_infile', value: 0, reason: 'clients cannot make the server read their files' },
    { name: 'secure_file_priv', value: layout.filesDir },
    { name: 'symbolic_links', value: 0 },
    { name: 'plugin_load_add', value: 'simple_password_check' },
    { name: 'strict_password_validation', value: 'ON' },
    { name: 'max_password_errors', value: 10 },
    {
      name: 'default_password_lifetime',
      value: 365,
      reason: 'passwords of accounts added later expire after a year unless set otherwise',
    },
    ...auditOptions(layout),
  ];
}

function auditOptions(layout: StateLayout): ServerOption[] {
  return [
    { name: 'plugin_load_add', value: 'server_audit' },
    {
      name: 'server_audit',
      value: 'FORCE_PLUS_PERMANENT',
      reason: 'the audit plugin cannot be unloaded to hide what follows',
    },
    {
      name: 'server_audit_events',
      value: 'CONNECT',
      reason: 'who connected from where; query events would write statement values in clear',
    },
    { name: 'server_audit_file_path', value: layout.auditLog },
    { name: 'server_audit_logging', value: 'ON' },
  ];
}

/**
 * Renders options as a MariaDB option file with one group. Files in `includes` are read after the
 * group, so the options they set override the generated ones.
 */
export function renderOptionFile(
  group: string,
  options: readonly ServerOption[],
  header: string,
  includes: readonly string[] = [],
) {
  const lines = header.split('\n').map((line) => `# ${line}`.trimEnd());
  lines.push('', `[${group}]`);

  for (const option of options) {
    if (option.reason) lines.push(`# ${option.reason}`);
    lines.push(option.value === undefined ? option.name : `${option.name} = ${option.value}`);
  }
  for (const path of includes) lines.push('', `!include ${path}`);
  return `${lines.join('\n')}\n`;
}

/**
 * First content of the extra option file, which mariadb-tdx creates once and never rewrites.
 * `initial` options are written into it, each after its reason.
 */
export function extraOptionFileTemplate(
  serverOptionFile: string,
  initial: readonly ServerOption[] = [],
): string {
  const lines = [
    '# Your own server options for this state directory. mariadb-tdx creates this file once and',
    `# never changes it; ${serverOptionFile} includes it last, so options here override the`,
    '# generated ones. Restart the server (mariadb-tdx down, then up) to apply a change.',
    '[mariadbd]',
  ];
  for (const option of initial) {
    if (option.reason) lines.push(`# ${option.reason}`);
    lines.push(option.value === undefined ? option.name : `${option.name} = ${option.value}`);
  }
  lines.push('');
  return lines.join('\n');
}
