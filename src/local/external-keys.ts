import type { StateLayout } from '../mariadb/layout.js';
import type { VaultKeySource } from '../mariadb/profile.js';
import type { BrokerKeySource } from './manifest.js';

/** Keys for one start of MariaDB that do not live in the state directory. */
export interface ExternalKeys {
  /** Key file on tmpfs for file_key_management. */
  readonly keyFile?: string | undefined;
  /** Vault KV v2 endpoint for hashicorp_key_management. */
  readonly vault?: VaultKeySource | undefined;
  /** Environment for mariadb-install-db and mariadbd (VAULT_TOKEN with `vault`). */
  readonly env: NodeJS.ProcessEnv;
  /** Called once mariadbd accepts connections. */
  readonly afterStart: () => Promise<void>;
  /** Called when the start failed. */
  readonly abort: () => Promise<void>;
}

/**
 * Obtains the keys of a broker key source. The key broker layer supplies it, so this layer
 * never depends on the broker protocol.
 */
export type ExternalKeyProvider = (
  layout: StateLayout,
  source: BrokerKeySource,
  step: (text: string) => void,
) => Promise<ExternalKeys>;

/**
 * Starts the key service (the agent that serves keys over loopback) of a running server again
 * when it died, and returns the new pid. Does nothing when it runs or the source needs none.
 */
export type KeyServiceRestarter = (
  layout: StateLayout,
  source: BrokerKeySource,
  serverPid: number,
  step: (text: string) => void,
) => Promise<number | undefined>;
