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
