import { ConfigError } from '../../errors.js';

/** Position of a time against a validity window. */
export type WindowState = 'valid' | 'expired' | 'not-yet-valid';

/**
 * Places `time` against the window `notBefore`..`notAfter`, both ends included. Every comparison
 * is written so that an invalid date (NaN) on either side fails closed: it is never 'valid'.
 */
export function windowState(time: Date, notBefore: Date, notAfter: Date): WindowState {
  const at = time.getTime();
  if (!(at >= notBefore.getTime())) return 'not-yet-valid';
  if (!(at <= notAfter.getTime())) return 'expired';
  return 'valid';
}

/** Throws INVALID_OPTION unless `time` is a valid Date, such as one built from a typo. */
export function requireValidTime(time: unknown, name: string): asserts time is Date {
  if (time instanceof Date && !Number.isNaN(time.getTime())) return;
  throw new ConfigError('INVALID_OPTION', `${name} is not a valid time`, {
    hint: 'pass a Date built from an ISO 8601 time such as 2025-07-01T00:00:00Z',
  });
}
