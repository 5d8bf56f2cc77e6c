import { readFile } from 'node:fs/promises';
import { KEY_CHECK_ALGORITHM } from '../../mariadb/keys.js';
import { isErrno, writeFileAtomic } from '../../util/fs.js';
import { AgentError } from '../errors.js';
import type { ReleasedKeys, ReleasedVersion } from './obtain.js';

/**
 * Key check values of broker-released keys, kept beside the data they encrypt. Only public
 * values: a check value identifies a key version without revealing it.
 */
export interface BrokerKeyChecks {
  readonly algorithm: string;
  readonly keyset: string;
  /** Check value by key id, then by version. */
  readonly keys: Record<string, Record<string, string>>;
  /**
   * Version given to file_key_management for each id. That plugin has no key versions: it
   * labels every key version 1, so the key bytes it reads must never change.
   */
  readonly pinned?: Record<string, number>;
}

/** Result of {@link reconcileKeyChecks}. */
export interface ReconciledKeys {
  /** Versions seen for the first time, now recorded. */
  readonly added: readonly { readonly id: number; readonly version: number }[];
  /** For a key file: the pinned version of each id. */
  readonly pinned: ReadonlyMap<number, ReleasedVersion>;
}

/**
 * Compares released keys with the recorded check values before MariaDB starts: a recorded
 * version that is missing, or whose key differs, stops the start, because MariaDB would report
 * the pages encrypted with it as corrupt. New versions (a rotation) are recorded.
 */
export async function reconcileKeyChecks(
  path: string,
  keyset: string,
  released: ReleasedKeys,
  options: { readonly pin: boolean },
): Promise<ReconciledKeys> {
  const existing = await readKeyChecks(path);
  if (existing && existing.keyset !== keyset) {
    throw new AgentError(
      'KEY_CHECK_MISMATCH',
      `this database was created with key set ${existing.keyset}, not ${keyset}`,
      { hint: `use --keyset ${existing.keyset}` },
    );
  }

  const keys: Record<string, Record<string, string>> = structuredClone(existing?.keys ?? {});
  for (const [id, recorded] of Object.entries(keys)) {
    compareRecorded(keyset, Number(id), recorded, released.get(Number(id)));
  }

  const added: { id: number; version: number }[] = [];
  for (const [id, versions] of released) {
    const recorded = (keys[String(id)] ??= {});
    for (const version of versions) {
      if (recorded[String(version.version)] !== undefined) continue;
      recorded[String(version.version)] = version.kcv;
      added.push({ id, version: version.version });
    }
  }

  const pins: Record<string, number> | undefined = options.pin
    ? { ...existing?.pinned }
    : undefined;
  const pinned = new Map<number, ReleasedVersion>();
  for (const [id, versions] of options.pin ? released : []) {
    const version = pins![String(id)] ?? versions.at(-1)!.version;
    pins![String(id)] = version;
    pinned.set(
      id,
      versions.find((entry) => entry.version === version)!,
    );
  }

  const changed = added.length > 0 || JSON.stringify(pins) !== JSON.stringify(existing?.pinned);
  if (changed) {
    const document: BrokerKeyChecks = {
      algorithm: KEY_CHECK_ALGORITHM,
      keyset,
      keys,
      pinned: pins,
    };
    await writeFileAtomic(path, `${JSON.stringify(document, null, 2)}\n`, 0o644);
  }
  return { added, pinned };
}

function compareRecorded(
  keyset: string,
  id: number,
  recorded: Record<string, string>,
  released: readonly ReleasedVersion[] | undefined,
) {
  for (const [version, kcv] of Object.entries(recorded)) {
    const match = released?.find((entry) => entry.version === Number(version));
    if (!match) {
      throw new AgentError(
        'KEY_MISSING',
        `the broker did not release ${keyset}/${id} version ${version}, which this database uses`,
        { hint: 'restore that key version on the broker; it can never be recreated' },
      );
    }
    if (match.kcv !== kcv) {
      throw new AgentError(
        'KEY_CHECK_MISMATCH',
        `the broker released a different key for ${keyset}/${id} version ${version} (check value ${match.kcv}, recorded ${kcv})`,
        {
          hint:
            'the broker key store was replaced or is another broker; starting with this key ' +
            'would make every page encrypted with it unreadable',
        },
      );
    }
  }
}

/** Reads the record; undefined when the database has never started with broker keys. */
export async function readKeyChecks(path: string): Promise<BrokerKeyChecks | undefined> {
  let parsed: Partial<BrokerKeyChecks>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<BrokerKeyChecks>;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw new AgentError('KEY_CHECK_MISMATCH', `key check file ${path} is not valid JSON`, {
      hint: 'restore it from your backup',
      cause: error,
    });
  }
  if (
    parsed.algorithm !== KEY_CHECK_ALGORITHM ||
    typeof parsed.keyset !== 'string' ||
    typeof parsed.keys !== 'object' ||
    parsed.keys === null
  ) {
    throw new AgentError('KEY_CHECK_MISMATCH', `key check file ${path} is not a valid record`, {
      hint: 'restore it from your backup',
    });
  }
  return parsed as BrokerKeyChecks;
}
