import type { MariadbBinaries } from '../mariadb/binaries.js';
import type { StateLayout } from '../mariadb/layout.js';
import type { ProfileName } from '../mariadb/profile.js';
import { localConnectHost, type StateManifest } from './manifest.js';

/** Connection details of the server that `up` started. */
export interface LocalServerInfo {
  readonly dir: string;
  readonly profile: ProfileName;
  readonly host: '127.0.0.1' | '::1';
  readonly port: number;
  readonly user: string;
  readonly passwordFile: string;
  readonly caFile: string;
  readonly clientOptionFile: string;
  readonly clientCommand: string;
  readonly pid: number;
  readonly version: string;
  readonly keyProtection: KeyProtection;
  /** True when the broker released the keys on SIMULATED evidence, not TDX hardware. */
  readonly simulatedEvidence: boolean;
  /** True when this call created the state directory. */
  readonly created: boolean;
  /** True when the server was already running and was left as it was. */
  readonly alreadyRunning: boolean;
}

/** Source of the server's keys. */
export type KeyProtection =
  | 'key file'
  | 'encrypted key file'
  | 'key broker: key file on tmpfs'
  | 'key broker: agent on loopback';

/** Describes a running local server for the output of `up`. */
export function describeServer(
  layout: StateLayout,
  manifest: StateManifest,
  binaries: MariadbBinaries,
  pid: number,
  flags: { created: boolean; alreadyRunning: boolean },
): LocalServerInfo {
  return {
    dir: layout.root,
    profile: manifest.profile,
    host: localConnectHost(manifest.bindAddress),
    port: manifest.port,
    user: manifest.adminUser,
    passwordFile: layout.adminPasswordFile,
    caFile: layout.caCert,
    clientOptionFile: layout.clientOptionFile,
    clientCommand: `mariadb --defaults-file=${layout.clientOptionFile}`,
    pid,
    version: binaries.version,
    keyProtection: keyProtection(manifest),
    simulatedEvidence: manifest.keySource?.evidence === 'simulated',
    ...flags,
  };
}

function keyProtection(manifest: StateManifest): KeyProtection {
  if (manifest.keySource?.mode === 'keyfile') return 'key broker: key file on tmpfs';
  if (manifest.keySource?.mode === 'vault') return 'key broker: agent on loopback';
  return manifest.filekeyPath ? 'encrypted key file' : 'key file';
}
