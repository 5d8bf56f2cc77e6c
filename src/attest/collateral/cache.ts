import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/fs.js';
import type { TeeName } from '../abi/types.js';
import type { CacheMetadata } from './bundle.js';
import type { FetchedCollateral } from './pccs.js';

/** Default collateral cache: $XDG_CACHE_HOME/mariadb-tdx/collateral, else ~/.cache/…. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'mariadb-tdx', 'collateral');
}

/** Name of the cached bundle for one platform, such as `tdx-b0c06f000000-platform.json`. */
export function cacheFileName(tee: TeeName, fmspc: string, ca: 'platform' | 'processor'): string {
  return `${tee.toLowerCase()}-${fmspc.toLowerCase()}-${ca}.json`;
}

/**
 * Writes a fetched bundle into the cache directory, replacing the previous bundle for the same
 * platform atomically, and returns its path.
 */
export async function writeCachedCollateral(
  directory: string,
  fetched: FetchedCollateral,
  metadata: CacheMetadata,
): Promise<string> {
  await mkdir(directory, { recursive: true, mode: 0o755 });
  const path = join(
    directory,
    cacheFileName(fetched.tee === 'tdx' ? 'TDX' : 'SGX', fetched.fmspc, fetched.ca),
  );
  const bundle = { ...fetched.bundle, mariadb_tdx: metadata };
  await writeFileAtomic(path, `${JSON.stringify(bundle, null, 2)}\n`, 0o644);
  return path;
}
