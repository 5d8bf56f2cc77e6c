import { PostureError } from './errors.js';

/** A server version as `SELECT VERSION()` reports it, split into numbers. */
export interface ServerVersion {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Oldest release series the catalogue's SQL works on: mysql.global_priv arrived in 10.4. */
export const MIN_SUPPORTED_SERIES = { major: 10, minor: 4 } as const;

/**
 * Parses a MariaDB version string such as `10.11.19-MariaDB-0+deb12u1-log`. Fails with
 * NOT_MARIADB for MySQL and other servers, whose system tables differ.
 */
export function parseServerVersion(text: string): ServerVersion {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!match || !/mariadb/i.test(text)) {
    throw new PostureError('NOT_MARIADB', `the server reports version "${text}", not MariaDB`, {
      hint: 'mariadb-tdx check reads MariaDB system tables; MySQL servers are not supported',
    });
  }

  const version = {
    text,
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
  };
  if (compareSeries(version, MIN_SUPPORTED_SERIES) < 0) {
    throw new PostureError(
      'UNSUPPORTED_VERSION',
      `MariaDB ${text} is older than ${MIN_SUPPORTED_SERIES.major}.${MIN_SUPPORTED_SERIES.minor}`,
      { hint: 'upgrade to a maintained long-term release (10.11 or 11.4 and later)' },
    );
  }
  return version;
}

/** Compares release series (major.minor) only: negative, zero or positive. */
export function compareSeries(
  a: { major: number; minor: number },
  b: { major: number; minor: number },
): number {
  return a.major === b.major ? a.minor - b.minor : a.major - b.major;
}

/** True when the version is at least major.minor.patch. */
export function versionAtLeast(version: ServerVersion, major: number, minor: number, patch = 0) {
  const series = compareSeries(version, { major, minor });
  return series > 0 || (series === 0 && version.patch >= patch);
}

/** A long-term release series and the last day the MariaDB Foundation maintains it. */
export interface ReleaseSeries {
  readonly major: number;
  readonly minor: number;
  readonly endOfLife: string;
}

/**
 * Community long-term releases and their end of maintenance: five years after general
 * availability under the MariaDB Foundation's maintenance policy (10.6 ended on 2026-07-06).
 * The short-term series between them were maintained for about a year and have all ended.
 */
// NOTE: the 11.8 date is five years from its GA release on 2025-06-04, an estimate from the
// policy rather than a published date. The table holds series only, so a server that misses
// recent patch releases of a maintained series still passes. Add new long-term series here.
export const LONG_TERM_SERIES: readonly ReleaseSeries[] = [
  { major: 10, minor: 6, endOfLife: '2026-07-06' },
  { major: 10, minor: 11, endOfLife: '2028-02-16' },
  { major: 11, minor: 4, endOfLife: '2029-05-29' },
  { major: 11, minor: 8, endOfLife: '2030-06-04' },
];

/** Position of a version in the maintenance policy on a given day. */
export type SeriesStatus =
  | { readonly kind: 'maintained'; readonly endOfLife: string }
  | { readonly kind: 'ended'; readonly endOfLife?: string }
  | { readonly kind: 'unknown' };

/** Tells whether the version's series is a maintained long-term release on `now`. */
export function seriesStatus(version: ServerVersion, now: Date): SeriesStatus {
  const known = LONG_TERM_SERIES.find((series) => compareSeries(series, version) === 0);
  if (known) {
    const ended = now.getTime() > Date.parse(`${known.endOfLife}T23:59:59Z`);
    return ended
      ? { kind: 'ended', endOfLife: known.endOfLife }
      : { kind: 'maintained', endOfLife: known.endOfLife };
  }

  const newest = LONG_TERM_SERIES.at(-1)!;
  return compareSeries(version, newest) > 0 ? { kind: 'unknown' } : { kind: 'ended' };
}
