import { randomBytes, randomInt } from 'node:crypto';
import type { Connection } from '../mariadb/connection.js';
import { germanIbanFromBban } from './banking.js';
import { bankingSchemaSql, BANKING_DATABASE } from './load.js';
import { FIRST_NAMES, LAST_NAMES } from './names.js';

/** A value planted for one experiment: random, so no earlier run or other data contains it. */
export interface PlantedValue {
  readonly value: string;
  readonly column: 'Name' | 'Email' | 'PhoneNumber' | 'AccountNumber';
  readonly customerId: number;
}

/** Values and customer ids that {@link plantCustomers} inserted. */
export interface PlantResult {
  readonly values: readonly PlantedValue[];
  readonly customerIds: readonly number[];
}

const TOKEN_LETTERS = 'bcdfghjkmnpqrstvwxz';

/**
 * Inserts `count` new customers with one account each into the banking database, with
 * values built from fresh randomness: a name with a random middle name, an email, a phone
 * number and an IBAN that no generated data set contains. Values go only through bound
 * parameters; callers must treat the returned values as secrets.
 */
export async function plantCustomers(connection: Connection, count: number): Promise<PlantResult> {
  await ensureSchema(connection);
  const [ids] = (await connection.query(
    `SELECT COALESCE(MAX(i.ID), 0) AS customer, (SELECT COALESCE(MAX(AccountID), 0) FROM ${BANKING_DATABASE}.Accounts) AS account FROM ${BANKING_DATABASE}.Individuals i`,
  )) as { customer: number | bigint; account: number | bigint }[];
  let customerId = Number(ids?.customer ?? 0);
  let accountId = Number(ids?.account ?? 0);

  const values: PlantedValue[] = [];
  const customerIds: number[] = [];
  await connection.beginTransaction();
  for (let i = 0; i < count; i++) {
    customerId += 1;
    accountId += 1;
    const customer = randomCustomer();
    await connection.query(
      `INSERT INTO ${BANKING_DATABASE}.Individuals (ID, Name, Email, PhoneNumber, Address) VALUES (?, ?, ?, ?, ?)`,
      [customerId, customer.name, customer.email, customer.phone, customer.address],
    );
    await connection.query(
      `INSERT INTO ${BANKING_DATABASE}.Accounts (AccountID, CustomerID, AccountNumber, Currency, Balance) VALUES (?, ?, ?, 'EUR', ?)`,
      [accountId, customerId, customer.iban, customer.balance],
    );
    customerIds.push(customerId);
    values.push(
      { value: customer.name, column: 'Name', customerId },
      { value: customer.email, column: 'Email', customerId },
      { value: customer.phone, column: 'PhoneNumber', customerId },
      { value: customer.iban, column: 'AccountNumber', customerId },
    );
  }
  await connection.commit();
  return { values, customerIds };
}

/**
 * Generates values shaped like planted ones that are never inserted anywhere. A search that
 * finds one of them reports a false positive, so they serve as the negative control.
 */
export function controlValues(count: number): string[] {
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    const customer = randomCustomer();
    values.push(customer.name, customer.email, customer.phone, customer.iban);
  }
  return values;
}

async function ensureSchema(connection: Connection) {
  const rows = (await connection.query(
    'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [BANKING_DATABASE],
  )) as { n: bigint }[];
  if (Number(rows[0]?.n ?? 0) > 0) return;
  for (const statement of bankingSchemaSql(true)) await connection.query(statement);
}

function randomCustomer() {
  const first = FIRST_NAMES[randomInt(FIRST_NAMES.length)]!;
  const last = LAST_NAMES[randomInt(LAST_NAMES.length)]!;
  const token = randomToken(7);
  const middle = token[0]!.toUpperCase() + token.slice(1);
  return {
    name: `${first} ${middle} ${last}`,
    email: `${first}.${token}.${last}@example.net`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
    phone: `+49 30 ${randomDigits(4)} ${randomDigits(5)}`,
    address: `${1 + randomInt(999)} Lindenallee, Berlin`,
    iban: germanIbanFromBban(randomDigits(18)),
    balance: (randomInt(10_000_000) / 100).toFixed(2),
  };
}

function randomToken(length: number): string {
  return [...randomBytes(length)]
    .map((byte) => TOKEN_LETTERS[byte % TOKEN_LETTERS.length])
    .join('');
}

function randomDigits(length: number): string {
  return Array.from({ length }, () => String(randomInt(10))).join('');
}
