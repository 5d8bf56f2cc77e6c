import { BrokerError } from '../errors.js';
import type { BrokerConfig, BrokerLayout } from '../broker/config.js';
import { KeyStore } from './key-store.js';
import { loadMasterKey } from './sealing.js';

/**
 * Opens the key store of a broker directory after checking that master.key is the key that
 * sealed it. Without the check, a replaced master key would let the broker start and list keys,
 * then fail every release, and a rotation would seal new versions under a second master key.
 *
 * The check value that kbs init records in kbs.json decides. A directory made before that value
 * existed is checked by decrypting one stored version instead, which an empty store cannot be.
 */
export async function openCheckedKeyStore(
  layout: BrokerLayout,
  config: BrokerConfig,
): Promise<KeyStore> {
  const master = await loadMasterKey(layout.masterKey);
  const store = new KeyStore(layout.keysDir, master.sealingKey);

  if (config.masterKeyCheck !== undefined) {
    if (master.checkValue !== config.masterKeyCheck) {
      throw mismatch(
        layout,
        `its check value ${master.checkValue} differs from ${config.masterKeyCheck}, ` +
          `which kbs init recorded in ${layout.config}`,
      );
    }
    return store;
  }

  if ((await store.unsealsOldestVersion()) === false) {
    throw mismatch(layout, 'the oldest stored key version does not decrypt under it');
  }
  return store;
}

function mismatch(layout: BrokerLayout, detail: string) {
  return new BrokerError(
    'MASTER_KEY_MISMATCH',
    `master key ${layout.masterKey} did not seal the key store of ${layout.root}: ${detail}`,
    {
      hint:
        `restore the master.key that sealed this store into ${layout.root}; ` +
        'nothing was written, and kbs never replaces or regenerates a master key',
    },
  );
}
