import { DatasetError } from '../errors.js';
import type { Connection } from '../mariadb/connection.js';
import { generateBanking, type BankingData, type BankingOptions } from './banking.js';

/** Options of {@link loadBanking}. */
export interface LoadBankingOptions extends BankingOptions {
  /** Creates tables with ENCRYPTED='YES'; needs a key management plugin. Default true. */
  readonly encrypted?: boolean | undefined;
  /** Drops an existing `Customers` database first. */
  readonly replace?: boolean | undefined;
  /** Called after each batch with the rows written so far and the total. */
  readonly onProgress?: ((written: number, total: number) => void) | undefined;
}

/** Counts of what {@link loadBanking} wrote. */
export interface LoadBankingResult {
  readonly individuals: number;
  readonly accounts: number;
  readonly data: BankingData;
}

export const BANKING_DATABASE = 'Customers';
const BATCH_ROWS = 500;

/** DDL of the sample database. */
export function bankingSchemaSql(encrypted: boolean): string[] {
  const tableOptions = `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4${encrypted ? " ENCRYPTED='YES'" : ''}`;
  return [
    `CREATE DATABASE ${BANKING_DATABASE} CHARACTER SET utf8mb4`,
    `CREATE TABLE ${BANKING_DATABASE}.Individuals (
      ID INT NOT NULL PRIMARY KEY,
      Name VARCHAR(100) NOT NULL,
      Email VARCHAR(255) NOT NULL,
      PhoneNumber VARCHAR(32) NOT NULL,
      Address VARCHAR(255) NOT NULL,
      UNIQUE KEY Email (Email)
    ) ${tableOptions}`,
    `CREATE TABLE ${BANKING_DATABASE}.Accounts (
      AccountID INT NOT NULL PRIMARY KEY,
      CustomerID INT NOT NULL,
      AccountNumber VARCHAR(34) NOT NULL,
      Currency CHAR(3) NOT NULL,
      Balance DECIMAL(15,2) NOT NULL,
      UNIQUE KEY AccountNumber (AccountNumber),
      CONSTRAINT Accounts_Customer FOREIGN KEY (CustomerID) REFERENCES Individuals (ID)
    ) ${tableOptions}`,
  ];
}

/**
 * Creates the `Customers` database and loads the banking data set through the connection, in
 * batches with bound parameters. Fails with DATASET_EXISTS rather than drop an existing
 * database unless `replace` is set.
 */
export async function loadBanking(
  connection: Connection,
  options: LoadBankingOptions = {},
): Promise<LoadBankingResult> {
  const data = generateBanking(options);
  const [existing] = (await connection.query(
    'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [BANKING_DATABASE],
  )) as { n: bigint }[];

  if (Number(existing?.n ?? 0) > 0) {
    if (!options.replace) {
      throw new DatasetError('DATASET_EXISTS', `database ${BANKING_DATABASE} already exists`, {
        hint: `pass --replace to drop ${BANKING_DATABASE} and load the sample data again`,
      });
    }
    await connection.query(`DROP DATABASE ${BANKING_DATABASE}`);
  }

  for (const statement of bankingSchemaSql(options.encrypted ?? true)) {
    await connection.query(statement);
  }

  const total = data.individuals.length + data.accounts.length;
  let written = 0;
  const report = (count: number) => {
    written += count;
    options.onProgress?.(written, total);
  };

  await insertBatches(
    connection,
    `INSERT INTO ${BANKING_DATABASE}.Individuals (ID, Name, Email, PhoneNumber, Address) VALUES (?, ?, ?, ?, ?)`,
    data.individuals.map((p) => [p.id, p.name, p.email, p.phoneNumber, p.address]),
    report,
  );
  await insertBatches(
    connection,
    `INSERT INTO ${BANKING_DATABASE}.Accounts (AccountID, CustomerID, AccountNumber, Currency, Balance) VALUES (?, ?, ?, ?, ?)`,
    data.accounts.map((a) => [a.accountId, a.customerId, a.accountNumber, a.currency, a.balance]),
    report,
  );

  return { individuals: data.individuals.length, accounts: data.accounts.length, data };
}

async function insertBatches(
  connection: Connection,
  sql: string,
  rows: unknown[][],
  report: (count: number) => void,
) {
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const batch = rows.slice(start, start + BATCH_ROWS);
    await connection.beginTransaction();
    await connection.batch(sql, batch);
    await connection.commit();
    report(batch.length);
  }
}
