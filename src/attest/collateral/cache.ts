import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isErrno, writeFileAtomic } from '../../util/fs.js';
import type { TeeName } from '../abi/types.js';
import { CollateralError } from '../errors.js';
import type { Collateral } from '../verify/collateral.js';
import { parseJsonObject } from '../verify/json-fields.js';
import { collateralFromBundle, type CacheMetadata } from './bundle.js';
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

/** True for a name that {@link cacheFileName} produces. */
export function isCacheFileName(name: string): boolean {
  return /^(tdx|sgx)-[0-9a-f]{12}-(platform|processor)\.json$/.test(name);
}

/** Options of {@link writeCachedCollateral}. */
export interface WriteCacheOptions {
  /** Replace a cached bundle even when the fetched documents are older than its own. */
  readonly allowDowngrade?: boolean | undefined;
}

/**
 * Writes a fetched bundle into the cache directory, replacing the previous bundle for the same
 * platform atomically, and returns its path. A cached bundle with a newer TCB Info, QE identity
 * or CRL is kept and the write fails with COLLATERAL_DOWNGRADE, unless `allowDowngrade`.
 */
export async function writeCachedCollateral(
  directory: string,
  fetched: FetchedCollateral,
  metadata: CacheMetadata,
  options: WriteCacheOptions = {},
): Promise<string> {
  await mkdir(directory, { recursive: true, mode: 0o755 });
  const path = join(
    directory,
    cacheFileName(fetched.tee === 'tdx' ? 'TDX' : 'SGX', fetched.fmspc, fetched.ca),
  );
  if (!options.allowDowngrade) {
    const cached = await readCachedBundle(path);
    const older = cached ? olderDocuments(fetched.collateral, cached) : [];
    if (older.length > 0) {
      throw new CollateralError(
        'COLLATERAL_DOWNGRADE',
        `the fetched collateral is older than the cached ${path}: ${older.join('; ')}`,
        {
          source: path,
          hint:
            'the cache was kept; pass --allow-downgrade to replace it, or --cache DIR to store ' +
            'the older collateral elsewhere',
        },
      );
    }
  }
  const bundle = { ...fetched.bundle, mariadb_tdx: metadata };
  await writeFileAtomic(path, `${JSON.stringify(bundle, null, 2)}\n`, 0o644);
  return path;
}

/** Reads a cached bundle; undefined when there is none or it is unreadable (it is replaced). */
async function readCachedBundle(path: string): Promise<Collateral | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    return collateralFromBundle(parseJsonObject(text, path), path);
  } catch (error) {
    if (error instanceof CollateralError) return undefined;
    throw error;
  }
}

/** Describes each fetched document that is older than the cached one of the same kind. */
function olderDocuments(fetched: Collateral, cached: Collateral): string[] {
  const older: string[] = [];
  // A higher evaluation data number is newer whatever its issue date; equal numbers (or none,
  // for CRLs) are ordered by issue time.
  const compare = (name: string, next: Dated | undefined, previous: Dated | undefined) => {
    if (!next || !previous) return;
    if (
      next.number !== previous.number &&
      next.number !== undefined &&
      previous.number !== undefined
    ) {
      if (next.number < previous.number) {
        older.push(`${name} evaluation data number ${next.number} < cached ${previous.number}`);
      }
      return;
    }
    if (next.issued.getTime() < previous.issued.getTime()) {
      older.push(
        `${name} issued ${next.issued.toISOString()} < cached ${previous.issued.toISOString()}`,
      );
    }
  };

  const document = (item: { body: { issueDate: Date; tcbEvaluationDataNumber: number } }) => ({
    issued: item.body.issueDate,
    number: item.body.tcbEvaluationDataNumber,
  });
  compare('TCB Info', mapFirst(fetched.tcbInfos, document), mapFirst(cached.tcbInfos, document));
  compare(
    'QE identity',
    mapFirst(fetched.qeIdentities, document),
    mapFirst(cached.qeIdentities, document),
  );
  for (const crl of fetched.crls) {
    const previous = cached.crls.find(
      (candidate) => Buffer.compare(candidate.issuerName, crl.issuerName) === 0,
    );
    compare(
      `CRL of ${crl.issuerCn}`,
      { issued: crl.thisUpdate, number: undefined },
      previous && { issued: previous.thisUpdate, number: undefined },
    );
  }
  return older;
}

interface Dated {
  readonly issued: Date;
  readonly number: number | undefined;
}

function mapFirst<T>(items: readonly T[], pick: (item: T) => Dated): Dated | undefined {
  return items[0] === undefined ? undefined : pick(items[0]);
}
