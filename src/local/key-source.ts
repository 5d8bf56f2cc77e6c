import { rm } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import type { StateLayout } from '../mariadb/layout.js';
import { writeManifest, type BrokerKeySource, type StateManifest } from './manifest.js';

/**
 * Applies the key source that `up` was given to an existing state directory. Once the data
 * directory exists, the key source is fixed, because data is encrypted with its keys. Before
 * that (a first start that failed, for example because the broker was unreachable) no data
 * exists, so another broker key source replaces the recorded one, along with the check values
 * recorded for keys of the old one.
 */
export async function applyKeySource(
  layout: StateLayout,
  manifest: StateManifest,
  requested: BrokerKeySource | undefined,
): Promise<StateManifest> {
  const recorded = manifest.keySource;
  if (!requested || JSON.stringify(requested) === JSON.stringify(recorded)) return manifest;

  const createdWith = recorded
    ? `with keys from ${recorded.url} (key set ${recorded.keyset}, ${recorded.mode} mode)`
    : 'with a local key file';
  if (manifest.initialized) {
    throw new ConfigError(
      'INVALID_OPTION',
      `${layout.root} was created ${createdWith}; the key source cannot change afterwards`,
      { hint: 'run up without key broker options; the state directory remembers them' },
    );
  }
  if (!recorded) {
    throw new ConfigError(
      'INVALID_OPTION',
      `${layout.root} was created ${createdWith} and holds no data yet, but its local keys ` +
        'are never deleted automatically',
      {
        hint:
          `delete it with: mariadb-tdx down --dir ${layout.root} --purge --yes, then run up ` +
          'again with the key broker options',
      },
    );
  }

  await rm(layout.brokerKeyCheckFile, { force: true });
  const updated = { ...manifest, keySource: requested };
  await writeManifest(layout, updated);
  return updated;
}
