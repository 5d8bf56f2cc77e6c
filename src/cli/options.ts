import { InvalidArgumentError } from '@commander-js/extra-typings';
import { DEFAULT_STATE_DIR } from '../mariadb/layout.js';

/** Parses a whole number within bounds for a command-line option. */
export function parseInteger(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}

/** Returns the default state directory: MARIADB_TDX_DIR, else `.mariadb-tdx`. */
export function defaultStateDir(): string {
  return process.env.MARIADB_TDX_DIR || DEFAULT_STATE_DIR;
}

export const DIR_HELP = 'state directory of the local server (env MARIADB_TDX_DIR)';

// Unix seconds beyond this (the year 5138) are taken for a mistake: such a number is usually
// milliseconds, which Date.now() and JavaScript tools print.
const MAX_UNIX_SECONDS = 1e11;

/** Parses a point in time: Unix seconds, or an ISO 8601 date or date-time (UTC unless stated). */
export function parseTime(value: string): Date {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return parseUnixSeconds(trimmed);

  const iso = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
    trimmed,
  );
  if (iso && dayExists(Number(iso[1]), Number(iso[2]), Number(iso[3]))) {
    const withZone =
      /T/.test(trimmed) && !/(Z|[+-]\d{2}:\d{2})$/.test(trimmed) ? `${trimmed}Z` : trimmed;
    const time = Date.parse(withZone);
    if (!Number.isNaN(time)) return new Date(time);
  }
  throw new InvalidArgumentError(
    'expected Unix seconds or an ISO 8601 time such as 2025-07-01T00:00:00Z',
  );
}

function parseUnixSeconds(text: string): Date {
  const seconds = Number(text);
  if (seconds <= MAX_UNIX_SECONDS) return new Date(seconds * 1000);
  if (seconds / 1000 <= MAX_UNIX_SECONDS) {
    throw new InvalidArgumentError(
      `${text} looks like milliseconds; pass Unix seconds, such as ${Math.floor(seconds / 1000)}`,
    );
  }
  throw new InvalidArgumentError(`${text} is too large for Unix seconds`);
}

// Date.parse rolls 2025-02-30 over to March 2, so the day is checked against its month.
function dayExists(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Collects a repeatable option's values in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Options that name a server by address and log in to it, with the command-line flag of each. */
export const SERVER_ADDRESS_OPTIONS = [
  ['host', '--host'],
  ['port', '--port'],
  ['user', '--user'],
  ['passwordFile', '--password-file'],
  ['ca', '--ca'],
] as const;
