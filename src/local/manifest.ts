import { readFile, readdir } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { isErrno, writeFileAtomic } from '../util/fs.js';
import { PROFILE_NAMES, type ProfileName } from '../mariadb/profile.js';
import type { StateLayout } from '../mariadb/layout.js';

/** Contents of `mariadb-tdx.json`, the marker and settings of a state directory. */
export interface StateManifest {
  readonly tool: 'mariadb-tdx';
  readonly format: 1;
  readonly profile: ProfileName;
  readonly port: number;
  /** Address the server listens on; unset means 127.0.0.1. */
  readonly bindAddress?: string | undefined;
  readonly adminUser: string;
  /** Absolute path of the passphrase file when the key file is stored encrypted. */
  readonly filekeyPath?: string | undefined;
  /** Set when keys come from a key broker by attestation instead of a local key file. */
  readonly keySource?: BrokerKeySource | undefined;
  readonly createdAt: string;
  /** False until the data directory has been created and the admin account added. */
  readonly initialized: boolean;
}

/** Keys released by a key broker to this server's TD; fixed when the directory is created. */
export interface BrokerKeySource {
  readonly kind: 'kbs';
  /** Base URL of the broker. */
  readonly url: string;
  /** Absolute path of the broker's CA certificate. */
  readonly caFile: string;
  readonly keyset: string;
  /** `keyfile`: file_key_management reads a key file on tmpfs; `vault`: the agent serves keys. */
  readonly mode: 'keyfile' | 'vault';
  readonly evidence: 'tdx' | 'simulated';
  /** Directory of the simulated TD, with `evidence: 'simulated'`. */
  readonly simulatedTd?: string | undefined;
}

function isBrokerKeySource(value: unknown): value is BrokerKeySource {
  const source = value as Partial<BrokerKeySource>;
  return (
    typeof value === 'object' &&
    value !== null &&
    source.kind === 'kbs' &&
    typeof source.url === 'string' &&
    typeof source.caFile === 'string' &&
    typeof source.keyset === 'string' &&
    (source.mode === 'keyfile' || source.mode === 'vault') &&
    (source.evidence === 'tdx' || source.evidence === 'simulated')
  );
}

/** Kind of a directory, from the point of view of `up`. */
export type StateDirKind = 'missing' | 'empty' | 'ours' | 'foreign' | 'file';

/** Name of the lock file that `up` and `down` hold inside a state directory. */
export const LOCK_FILE_NAME = '.lock';

/** Tells whether a directory is absent, empty, a mariadb-tdx state directory, or anything else. */
export async function classifyStateDir(layout: StateLayout): Promise<StateDirKind> {
  let entries: string[];
  try {
    entries = await readdir(layout.root);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return 'missing';
    if (isErrno(error, 'ENOTDIR')) return 'file';
    throw error;
  }
  entries = entries.filter((name) => name !== LOCK_FILE_NAME);
  if (entries.length === 0) return 'empty';
  return entries.includes('mariadb-tdx.json') ? 'ours' : 'foreign';
}

/** Reads and validates the manifest of a state directory. */
export async function readManifest(layout: StateLayout): Promise<StateManifest> {
  let parsed: Partial<StateManifest>;
  try {
    parsed = JSON.parse(await readFile(layout.manifest, 'utf8')) as Partial<StateManifest>;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new ConfigError(
        'STATE_DIR_MISSING',
        `${layout.root} is not a mariadb-tdx state directory`,
        {
          hint: 'create one with: mariadb-tdx up --dir DIR',
          cause: error,
        },
      );
    }
    throw new ConfigError('STATE_DIR_INVALID', `${layout.manifest} is not valid JSON`, {
      hint: 'restore the file from a backup; it records the port, profile and key protection',
      cause: error,
    });
  }

  const valid =
    parsed.tool === 'mariadb-tdx' &&
    parsed.format === 1 &&
    PROFILE_NAMES.includes(parsed.profile as ProfileName) &&
    Number.isInteger(parsed.port) &&
    typeof parsed.adminUser === 'string' &&
    typeof parsed.initialized === 'boolean' &&
    (parsed.keySource === undefined || isBrokerKeySource(parsed.keySource));
  if (!valid) {
    throw new ConfigError('STATE_DIR_INVALID', `${layout.manifest} is not a valid manifest`, {
      hint: 'restore the file from a backup',
    });
  }
  return parsed as StateManifest;
}

/** Writes the manifest atomically. */
export async function writeManifest(layout: StateLayout, manifest: StateManifest) {
  await writeFileAtomic(layout.manifest, `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
}

/**
 * Returns the address this machine reaches its own server at: ::1 for a server on IPv6 loopback
 * or on every IPv6 interface, 127.0.0.1 otherwise. The server certificate names both.
 */
export function localConnectHost(bindAddress: string | undefined): '127.0.0.1' | '::1' {
  return bindAddress === '::1' || bindAddress === '::' ? '::1' : '127.0.0.1';
}
