import { InvalidArgumentError } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { parseTime } from '../../src/cli/options.js';

describe('parseTime', () => {
  it('reads Unix seconds and ISO 8601 times', () => {
    expect(parseTime('1751328000').toISOString()).toBe('2025-07-01T00:00:00.000Z');
    expect(parseTime('2025-07-01T02:00:00+02:00').toISOString()).toBe('2025-07-01T00:00:00.000Z');
    expect(parseTime('2025-07-01').toISOString()).toBe('2025-07-01T00:00:00.000Z');
  });

  it('rejects milliseconds with the seconds to pass instead', () => {
    expect(() => parseTime('1751328000000')).toThrow(InvalidArgumentError);
    expect(() => parseTime('1751328000000')).toThrow(/milliseconds.*1751328000/);
  });

  it.each(['99999999999999999999', '2025-02-30', '2025-13-01', 'yesterday'])(
    'rejects %s',
    (value) => {
      expect(() => parseTime(value)).toThrow(InvalidArgumentError);
    },
  );
});
