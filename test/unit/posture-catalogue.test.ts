import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/posture/catalogue/index.js';
import { CHECK_GROUPS } from '../../src/posture/types.js';

const GROUP_LETTERS: Record<string, string> = {
  transport: 'T',
  'encryption at rest': 'E',
  accounts: 'A',
  'logs and temporary files': 'L',
  'keys and memory': 'K',
  'general hardening': 'H',
};

describe('posture catalogue', () => {
  it('holds at least 50 checks with unique ids', () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CATALOGUE.map((check) => check.id)).size).toBe(CATALOGUE.length);
  });

  it('names each id after its group', () => {
    for (const check of CATALOGUE) {
      expect(check.id, check.id).toMatch(new RegExp(`^${GROUP_LETTERS[check.group]}\\d{2}$`));
    }
  });

  it('covers every group', () => {
    for (const group of CHECK_GROUPS) {
      expect(
        CATALOGUE.some((check) => check.group === group),
        group,
      ).toBe(true);
    }
  });

  it('numbers the checks of each group without gaps', () => {
    for (const group of CHECK_GROUPS) {
      const numbers = CATALOGUE.filter((check) => check.group === group)
        .map((check) => Number(check.id.slice(1)))
        .sort((a, b) => a - b);
      expect(numbers, group).toEqual(numbers.map((_n, index) => index + 1));
    }
  });

  it('starts with the session cipher, the encryption variables and the key plugin', () => {
    expect(CATALOGUE.slice(0, 8).map((check) => check.id)).toEqual([
      'T01',
      'E01',
      'E02',
      'E03',
      'E04',
      'E05',
      'E06',
      'E07',
    ]);
    expect(CATALOGUE[0]?.sql).toMatch(/Ssl_cipher/);
    expect(CATALOGUE[7]?.sql).toMatch(/PLUGIN_TYPE = 'ENCRYPTION'/);
  });

  it('gives every check its evidence, expectation, fix and risk', () => {
    for (const check of CATALOGUE) {
      expect(check.title, check.id).not.toBe('');
      expect(check.expected, check.id).not.toBe('');
      expect(check.advice, check.id).not.toBe('');
      expect(check.risk, check.id).not.toBe('');
      expect(typeof check.sql === 'function' || check.sql.length > 10, check.id).toBe(true);
    }
  });

  it('states every expectation in words, not as query rows', () => {
    for (const check of CATALOGUE) {
      expect(check.expected, check.id).not.toMatch(/\brows?\b/);
    }
  });

  it('explains why the policy checks only warn', () => {
    const policy = CATALOGUE.filter((check) => check.policy).map((check) => check.id);
    expect(policy.sort()).toEqual(['A03', 'A10', 'A11', 'H09', 'H10', 'K03', 'L07']);
  });

  it('leaves to the baseline profile only what it configures', () => {
    const required = CATALOGUE.filter((check) => check.baseline === 'required').map((c) => c.id);
    expect(required.sort()).toEqual(
      ['T01', 'T02', 'T06', 'E02', 'E03', 'E07', 'E09', 'E11', 'E12', 'E13', 'E14'].sort(),
    );
  });
});
