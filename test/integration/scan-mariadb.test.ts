import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocal } from '../../src/local/client.js';
import { writeDatasetRecord } from '../../src/local/datasets.js';
import { loadBanking } from '../../src/dataset/load.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { dumpProcess } from '../../src/scan/dump/dump.js';
import { bankingValues } from '../../src/scan/needles/inputs.js';
import { scan, type ScanReport } from '../../src/scan/scan.js';
import { mariadbAvailable, startTestServer, type TestServer } from '../helpers/mariadb.js';
import { runCli, scratchDirectory } from '../helpers/scan.js';

const available = await mariadbAvailable();
const ROWS = 40;
const SEED = 4711;

describe.skipIf(!available)('scan of a real MariaDB server', () => {
  let server: TestServer;
  let scratch: { dir: string; dispose: () => Promise<void> };
  let accountsFile: string;

  beforeAll(async () => {
    // The baseline profile leaves tables unencrypted unless they ask for it, so the .ibd pages
    // hold the rows as InnoDB stores them.
    server = await startTestServer({ profile: 'baseline' });
    scratch = await scratchDirectory();
    const connection = await connectLocal(server.dir);
    try {
      await loadBanking(connection, { rows: ROWS, seed: SEED, encrypted: false });
      // FLUSH ... FOR EXPORT writes every dirty page of the table to its .ibd file.
      await connection.query('FLUSH TABLES Customers.Accounts, Customers.Individuals FOR EXPORT');
      await connection.query('UNLOCK TABLES');
    } finally {
      await connection.end();
    }
    await writeDatasetRecord(stateLayout(server.dir), {
      name: 'banking',
      rows: ROWS,
      seed: SEED,
      loadedAt: new Date().toISOString(),
    });
    accountsFile = join(stateLayout(server.dir).dataDir, 'Customers', 'Accounts.ibd');
  });
  afterAll(async () => {
    await server?.dispose();
    await scratch?.dispose();
  });

  it('finds every balance in binary DECIMAL form in the InnoDB page', async () => {
    const balances = bankingValues({ rows: ROWS, seed: SEED }).filter((v) => v.type === 'decimal');
    const report = await scan({
      sources: [accountsFile],
      values: balances,
      encodings: ['decimal'],
    });
    expect(report.values.length).toBe(balances.length);
    expect(
      report.values.filter((v) => (v.encodings.decimal ?? 0) === 0).map((v) => v.value),
    ).toEqual([]);
  });

  it('finds loaded values in a mariadbd core', async () => {
    const core = join(scratch.dir, 'mariadbd.core');
    await dumpProcess({ pid: server.info.pid, output: core });
    const values = bankingValues({ rows: ROWS, seed: SEED });
    const report = await scan({ sources: [core], values });
    const found = new Set(report.values.filter((v) => v.found).map((v) => v.value));
    expect(found).toContain('Margarethe Vinterberg');
    expect(found).toContain('GB82WEST12345698765432');
    expect(found.size).toBeGreaterThan(values.length / 2);
    expect(report.sources[0]!.addressSpace).toBe('virtual');
  });

  it('reads values from the server over TLS with --from-db', () => {
    const spec = 'Customers.Accounts:AccountNumber,Balance';
    const result = runCli(['scan', accountsFile, '--from-db', spec, '--dir', server.dir, '--json']);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as ScanReport;
    const balances = report.values.filter((v) => v.label === 'Customers.Accounts.Balance');
    expect(balances.length).toBeGreaterThan(ROWS);
    expect(balances.every((v) => (v.encodings.decimal ?? 0) > 0)).toBe(true);
  });

  it('reads 100,000 values of one column with --from-db', async () => {
    // The sequence engine's seq_1_to_100000 table exists in the current database.
    const connection = await connectLocal(server.dir, 'Customers');
    try {
      await connection.query('CREATE TABLE Customers.Many (v VARCHAR(32) NOT NULL)');
      await connection.query(
        "INSERT INTO Customers.Many SELECT CONCAT('many-value-', LPAD(seq, 6, '0')) FROM seq_1_to_100000",
      );
    } finally {
      await connection.end();
    }
    const file = join(scratch.dir, 'many.bin');
    await writeFile(file, 'before many-value-099999 after');
    const result = runCli(['scan', file, '--from-db', 'Customers.Many:v', '--dir', server.dir]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('100000 values, 1 found, 99999 not found.');
  });

  it('scans the data directory for the loaded data set with --dataset', () => {
    const database = join(stateLayout(server.dir).dataDir, 'Customers');
    const result = runCli([
      'scan',
      database,
      '--dataset',
      'banking',
      '--dir',
      server.dir,
      '--json',
    ]);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as ScanReport;
    expect(
      report.values.find((v) => v.value === 'Thaddeus Okonkwo-Reyes')?.first[0]?.path,
    ).toContain('Individuals.ibd');
  });
});
