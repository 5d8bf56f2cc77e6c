import { describe, expect, it } from 'vitest';
import { leakVerdict } from '../../src/vm/leak-test.js';
import { decodeTdAttributes, PRODUCTION_TD_POLICY } from '../../src/vm/td-policy.js';

const production = decodeTdAttributes(PRODUCTION_TD_POLICY);
const debug = decodeTdAttributes(PRODUCTION_TD_POLICY | 1n);

describe('leakVerdict', () => {
  it.each([
    ['td', production, 0, 0, 'protected'],
    ['td', production, 3, 0, 'leaked'],
    ['td', debug, 0, 0, 'debug-td'],
    ['td', debug, 5, 1, 'debug-td'],
    ['regular', undefined, 7, 0, 'readable'],
    ['regular', undefined, 0, 0, 'inconclusive'],
    ['regular', undefined, 7, 1, 'inconclusive'],
    ['td', production, 0, 2, 'inconclusive'],
  ] as const)(
    '%s with %j, %i found, %i controls: %s',
    (kind, attributes, found, controls, verdict) => {
      expect(leakVerdict(kind, attributes, found, controls)).toBe(verdict);
    },
  );
});
