import { DatasetError } from '../errors.js';
import { AREA_CODES, CITIES, FIRST_NAMES, LAST_NAMES, STREETS } from './names.js';

/** A customer row of `Customers.Individuals`. */
export interface Individual {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  readonly phoneNumber: string;
  readonly address: string;
}

/** An account row of `Customers.Accounts`; the balance is a DECIMAL(15,2) in text form. */
export interface Account {
  readonly accountId: number;
  readonly customerId: number;
  readonly accountNumber: string;
  readonly currency: string;
  readonly balance: string;
}

/** The generated rows of one banking data set. */
export interface BankingData {
  readonly individuals: readonly Individual[];
  readonly accounts: readonly Account[];
}

/** Size and seed of a generated data set; the same pair always yields the same rows. */
export interface BankingOptions {
  readonly rows?: number | undefined;
  readonly seed?: number | undefined;
}

export const DEFAULT_BANKING_ROWS = 1000;
export const DEFAULT_BANKING_SEED = 20261204;

// Each name is first name + optional middle initial + last name, which bounds distinct names.
export const MAX_BANKING_ROWS = FIRST_NAMES.length * LAST_NAMES.length * 27;

/** The two fixed fictional customers that every banking data set starts with. */
export const FIXED_CUSTOMERS: readonly { individual: Individual; account: Account }[] = [
  {
    individual: {
      id: 1,
      name: 'Margarethe Vinterberg',
      email: 'margarethe.vinterberg@example.com',
      phoneNumber: '+45 3141 5926',
      address: 'Strandvejen 117, 2900 Hellerup',
    },
    account: {
      accountId: 1,
      customerId: 1,
      accountNumber: 'DK5000400440116243',
      currency: 'DKK',
      balance: '84736.19',
    },
  },
  {
    individual: {
      id: 2,
      name: 'Thaddeus Okonkwo-Reyes',
      email: 't.okonkwo-reyes@example.org',
      phoneNumber: '+44 20 7946 0958',
      address: '42 Larkspur Terrace, Oxford OX2 6JX',
    },
    account: {
      accountId: 2,
      customerId: 2,
      accountNumber: 'GB82WEST12345698765432',
      currency: 'GBP',
      balance: '1250000.55',
    },
  },
];

const CURRENCIES = ['EUR', 'EUR', 'EUR', 'GBP', 'USD', 'CHF'];
const BANK_CODES = ['37040044', '50010517', '10020030', '70020270', '60050101', '20041111'];

/** mulberry32: a small deterministic PRNG, enough for sample data (not for secrets). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Validates a requested row count. Rows are generated customers beyond the two fixed ones.
 */
export function validateBankingRows(rows: number) {
  if (!Number.isInteger(rows) || rows < 0) {
    throw new DatasetError(
      'DATASET_TOO_LARGE',
      `--rows ${rows} is not a whole number of 0 or more`,
    );
  }
  if (rows > MAX_BANKING_ROWS) {
    throw new DatasetError(
      'DATASET_TOO_LARGE',
      `--rows ${rows} is more than the ${MAX_BANKING_ROWS} distinct customers the generator can make`,
      { hint: `choose --rows ${MAX_BANKING_ROWS} or fewer` },
    );
  }
}

/**
 * Generates the banking data set: the fixed customers, then `rows` generated customers with
 * distinct names, emails, phone numbers, addresses and account numbers. Every fourth generated
 * customer has a second account.
 */
export function generateBanking(options: BankingOptions = {}): BankingData {
  const rows = options.rows ?? DEFAULT_BANKING_ROWS;
  const seed = options.seed ?? DEFAULT_BANKING_SEED;
  validateBankingRows(rows);

  const random = createRandom(seed);
  const individuals: Individual[] = FIXED_CUSTOMERS.map((c) => c.individual);
  const accounts: Account[] = FIXED_CUSTOMERS.map((c) => c.account);
  const firstId = FIXED_CUSTOMERS.length + 1;

  for (let i = 0; i < rows; i++) {
    const id = firstId + i;
    individuals.push(generateIndividual(id, i, seed));

    const accountCount = i % 4 === 0 ? 2 : 1;
    for (let a = 0; a < accountCount; a++) {
      const accountId = accounts.length + 1;
      accounts.push({
        accountId,
        customerId: id,
        accountNumber: germanIban(accountId, seed),
        currency: CURRENCIES[Math.floor(random() * CURRENCIES.length)]!,
        balance: randomBalance(random),
      });
    }
  }
  return { individuals, accounts };
}

function generateIndividual(id: number, index: number, seed: number): Individual {
  const first = FIRST_NAMES.length;
  const last = LAST_NAMES.length;
  // An affine map modulo the number of name combinations is a bijection when the multiplier
  // is coprime with it, so different indexes get different names in a scattered order.
  const combinations = first * last * 27;
  const scrambled = (index * 7919 + (seed % combinations)) % combinations;
  const firstName = FIRST_NAMES[scrambled % first]!;
  const lastName = LAST_NAMES[Math.floor(scrambled / first) % last]!;
  const initialIndex = Math.floor(scrambled / (first * last));
  const initial = initialIndex === 0 ? '' : `${String.fromCharCode(64 + initialIndex)}. `;
  const name = `${firstName} ${initial}${lastName}`;

  const emailLocal = `${firstName}.${lastName}`.toLowerCase().replace(/[^a-z.-]/g, '');
  const domain = ['example.com', 'example.net', 'example.org'][index % 3]!;
  const email = `${emailLocal}.${id}@${domain}`;

  const subscriber = (index * 7919 + seed) % 10_000_000;
  const digits = String(subscriber).padStart(7, '0');
  const area = AREA_CODES[index % AREA_CODES.length]!;
  const phoneNumber = `+1 (${area}) ${digits.slice(0, 3)}-${digits.slice(3)}`;

  const addressSpace = 9999 * STREETS.length * CITIES.length;
  const place = (index * 104729 + seed) % addressSpace;
  const houseNumber = 1 + (place % 9999);
  const street = STREETS[Math.floor(place / 9999) % STREETS.length]!;
  const city = CITIES[Math.floor(place / (9999 * STREETS.length))]!;
  const address = `${houseNumber} ${street}, ${city}`;

  return { id, name, email, phoneNumber, address };
}

/** Builds a German IBAN with valid ISO 7064 MOD 97-10 check digits. */
function germanIban(accountId: number, seed: number): string {
  const bankCode = BANK_CODES[accountId % BANK_CODES.length]!;
  const accountNumber = String(1_000_000_000 + ((accountId * 9973 + seed) % 1_000_000_000));
  return germanIbanFromBban(`${bankCode}${accountNumber}`.slice(0, 18));
}

/** Adds the country code and ISO 7064 MOD 97-10 check digits to an 18-digit German BBAN. */
export function germanIbanFromBban(bban: string): string {
  // D = 13, E = 14; the country code and "00" move to the end for the check computation.
  const numeric = `${bban}131400`;
  let remainder = 0;
  for (const digit of numeric) remainder = (remainder * 10 + Number(digit)) % 97;
  const check = String(98 - remainder).padStart(2, '0');
  return `DE${check}${bban}`;
}

// Balances start at 1000.00: shorter numbers such as "1.07" also occur in unrelated text (the
// server's help tables contain timings like "331.07 ns"), so a scan would report false hits.
const MIN_BALANCE = 1000;

function randomBalance(random: () => number): string {
  // Skewed towards small balances, as real accounts are, up to about 2.5 million.
  const magnitude = MIN_BALANCE + Math.pow(random(), 3) * 2_500_000;
  const cents = Math.round(magnitude * 100) + Math.floor(random() * 100);
  return (cents / 100).toFixed(2);
}

/** One sensitive value of a data set, with where it is stored and how its column is typed. */
export interface SensitiveValue {
  readonly value: string;
  readonly table: 'Individuals' | 'Accounts';
  readonly column: string;
  /** `decimal` values are also stored in MariaDB's binary DECIMAL form. */
  readonly type: 'text' | 'decimal';
  readonly precision?: number;
  readonly scale?: number;
}

/**
 * Lists the values of a banking data set that must never be readable outside the server:
 * names, emails, phone numbers, addresses, account numbers and balances. Duplicates are removed.
 */
export function bankingSensitiveValues(data: BankingData): SensitiveValue[] {
  const values = new Map<string, SensitiveValue>();
  const add = (value: SensitiveValue) => {
    if (!values.has(value.value)) values.set(value.value, value);
  };

  for (const person of data.individuals) {
    add({ value: person.name, table: 'Individuals', column: 'Name', type: 'text' });
    add({ value: person.email, table: 'Individuals', column: 'Email', type: 'text' });
    add({ value: person.phoneNumber, table: 'Individuals', column: 'PhoneNumber', type: 'text' });
    add({ value: person.address, table: 'Individuals', column: 'Address', type: 'text' });
  }
  for (const account of data.accounts) {
    add({ value: account.accountNumber, table: 'Accounts', column: 'AccountNumber', type: 'text' });
    add({
      value: account.balance,
      table: 'Accounts',
      column: 'Balance',
      type: 'decimal',
      precision: 15,
      scale: 2,
    });
  }
  return [...values.values()];
}
