import { describe, expect, it } from 'vitest';
import {
  FIXED_CUSTOMERS,
  bankingSensitiveValues,
  generateBanking,
  validateBankingRows,
} from '../../src/dataset/banking.js';

function ibanIsValid(iban: string): boolean {
  const rearranged = `${iban.slice(4)}${iban.slice(0, 4)}`;
  const numeric = rearranged.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let remainder = 0;
  for (const digit of numeric) remainder = (remainder * 10 + Number(digit)) % 97;
  return remainder === 1;
}

describe('generateBanking', () => {
  const data = generateBanking({ rows: 5000, seed: 7 });

  it('starts with the two fixed customers', () => {
    expect(data.individuals.slice(0, 2)).toEqual(FIXED_CUSTOMERS.map((c) => c.individual));
    expect(data.individuals).toHaveLength(5002);
  });

  it.each(['name', 'email', 'phoneNumber', 'address'] as const)(
    'makes every %s distinct',
    (field) => {
      const values = data.individuals.map((p) => p[field]);
      expect(new Set(values).size).toBe(values.length);
    },
  );

  it('makes distinct account numbers with valid IBAN check digits', () => {
    const numbers = data.accounts.map((a) => a.accountNumber);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const number of numbers) expect(ibanIsValid(number), number).toBe(true);
  });

  it('references existing customers from every account', () => {
    const ids = new Set(data.individuals.map((p) => p.id));
    for (const account of data.accounts) expect(ids.has(account.customerId)).toBe(true);
  });

  it('formats balances as DECIMAL(15,2)', () => {
    for (const account of data.accounts) expect(account.balance).toMatch(/^\d{1,13}\.\d{2}$/);
  });

  it('keeps balances at 1000.00 or more', () => {
    for (const account of data.accounts)
      expect(Number(account.balance)).toBeGreaterThanOrEqual(1000);
  });

  it('returns the same rows for the same seed', () => {
    expect(generateBanking({ rows: 50, seed: 7 })).toEqual(generateBanking({ rows: 50, seed: 7 }));
    expect(generateBanking({ rows: 50, seed: 8 })).not.toEqual(
      generateBanking({ rows: 50, seed: 7 }),
    );
  });

  it('rejects a negative row count', () => {
    expect(() => validateBankingRows(-1)).toThrow(
      expect.objectContaining({ code: 'DATASET_TOO_LARGE' }),
    );
  });
});

describe('bankingSensitiveValues', () => {
  it('lists each value once with its column', () => {
    const data = generateBanking({ rows: 10, seed: 1 });
    const values = bankingSensitiveValues(data);
    expect(new Set(values.map((v) => v.value)).size).toBe(values.length);
    expect(values.find((v) => v.value === 'GB82WEST12345698765432')?.column).toBe('AccountNumber');
    expect(values.find((v) => v.value === '84736.19')).toMatchObject({ type: 'decimal', scale: 2 });
  });
});
