import type { Connection } from '../mariadb/connection.js';

/** Opens a new connection to the server under test. */
export type Connector = () => Promise<Connection>;

/** Work left running so that its files exist while evidence is collected. */
export interface RunningWorkload {
  /** Statements of the workload that the server rejected, with the reason; empty when none. */
  readonly rejected: readonly string[];
  /** Stops the slow queries, rolls back the open transaction and closes every connection. */
  release(): Promise<void>;
}

// The Aria table mimics the cache tables applications keep outside InnoDB.
const ARIA_CACHE_SQL = `CREATE TABLE Customers.StatementCache (
  CustomerID INT NOT NULL PRIMARY KEY,
  Name VARCHAR(100) NOT NULL,
  AccountNumber VARCHAR(34) NOT NULL,
  Balance DECIMAL(15,2) NOT NULL
) ENGINE=Aria TRANSACTIONAL=1`;

/**
 * Exercises a loaded banking database the way production does, and leaves the parts that only
 * exist while work runs (an open snapshot, temporary tables, a sort and a GROUP BY spilling to
 * disk, an uncommitted transaction) running until {@link RunningWorkload.release}:
 *
 * 1. a reader opens a consistent snapshot, so undo records of later updates must be kept;
 * 2. temporary tables (InnoDB and Aria) and an Aria cache table receive customer data;
 * 3. every customer's phone number and address and every balance are updated and committed,
 *    which writes undo records and row images to the binlog;
 * 4. a slow ORDER BY with a tiny sort buffer and a slow GROUP BY with a tiny temporary table
 *    limit keep their spill files open;
 * 5. a large transaction stays uncommitted, so its binlog cache spills to a temporary file.
 */
export async function startWorkload(
  connect: Connector,
  customers: number,
): Promise<RunningWorkload> {
  // The slow queries sleep per row so that they run for about a minute whatever the data size;
  // release() stops them earlier.
  const sleepPerRow = Math.max(0.01, 60 / Math.max(customers, 1)).toFixed(3);
  const connections: Connection[] = [];
  const open = async () => {
    const connection = await connect();
    connections.push(connection);
    // Temporary tables are created in the current database.
    await connection.query('USE Customers');
    return connection;
  };
  const rejected: string[] = [];
  const background: Promise<unknown>[] = [];

  const reader = await open();
  await reader.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  await reader.query('SELECT COUNT(*) FROM Customers.Individuals');

  const temporary = await open();
  await temporary.query(
    'CREATE TEMPORARY TABLE tmp_contacts ENGINE=InnoDB AS SELECT Name, Email, PhoneNumber FROM Customers.Individuals',
  );
  await runOrRecord(
    temporary,
    rejected,
    'CREATE TEMPORARY TABLE tmp_addresses ENGINE=Aria AS SELECT Name, Address FROM Customers.Individuals',
  );

  const writer = await open();
  if (await runOrRecord(writer, rejected, ARIA_CACHE_SQL)) {
    // Aria logs rows only when the table is not empty: an INSERT ... SELECT into an empty table
    // is a bulk load that bypasses the log. The first row goes in alone for that reason.
    const fill =
      'INSERT INTO Customers.StatementCache SELECT i.ID, i.Name, a.AccountNumber, a.Balance ' +
      'FROM Customers.Individuals i JOIN Customers.Accounts a ON a.CustomerID = i.ID ';
    await writer.query(`${fill} WHERE i.ID = 1 GROUP BY i.ID`);
    await writer.query(`${fill} WHERE i.ID > 1 GROUP BY i.ID`);
  }
  await writer.query(
    "UPDATE Customers.Individuals SET PhoneNumber = CONCAT('+1 (555) 01', LPAD(ID, 6, '0')), " +
      "Address = CONCAT('Address withheld ', ID)",
  );
  await writer.query('UPDATE Customers.Accounts SET Balance = Balance + 0.01');

  const sorter = await open();
  const sorterId = await connectionId(sorter);
  await sorter.query('SET SESSION sort_buffer_size = 32768');
  background.push(
    sorter
      .query(
        `SELECT SLEEP(${sleepPerRow}), Name, Email FROM Customers.Individuals ORDER BY CRC32(Email)`,
      )
      .catch(() => undefined),
  );

  const grouper = await open();
  const grouperId = await connectionId(grouper);
  await grouper.query('SET SESSION tmp_table_size = 16384, max_heap_table_size = 16384');
  background.push(
    grouper
      .query(
        `SELECT SLEEP(${sleepPerRow}), Name, COUNT(*) FROM Customers.Individuals GROUP BY Name`,
      )
      .catch(() => undefined),
  );

  const pending = await open();
  await pending.query('START TRANSACTION');
  await pending.query("UPDATE Customers.Individuals SET Email = CONCAT('pending.', Email)");

  return {
    rejected,
    release: async () => {
      const control = await connect();
      try {
        for (const id of [sorterId, grouperId]) {
          await control.query('KILL QUERY ?', [id]).catch(() => undefined);
        }
      } finally {
        await control.end();
      }
      await Promise.allSettled(background);
      await pending.query('ROLLBACK').catch(() => undefined);
      await reader.query('COMMIT').catch(() => undefined);
      await Promise.allSettled(connections.map((c) => c.end()));
    },
  };
}

async function connectionId(connection: Connection): Promise<number> {
  const [row] = (await connection.query('SELECT CONNECTION_ID() AS id')) as { id: bigint }[];
  return Number(row?.id);
}

/** Runs a statement and records it as rejected when the server refuses it by configuration. */
async function runOrRecord(connection: Connection, rejected: string[], sql: string) {
  try {
    await connection.query(sql);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    rejected.push(`${sql.split('(')[0]!.trim()}: ${code}`);
    return false;
  }
}

/**
 * Forces dirty pages to disk and waits until InnoDB reports none, so the files show what the
 * server would leave behind. Returns the number of dirty pages left when the wait timed out.
 */
export async function flushToDisk(connection: Connection, timeoutMs = 60_000): Promise<number> {
  await connection.query('SET GLOBAL innodb_max_dirty_pages_pct = 0');
  await connection.query('SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0.001');
  // Only the Aria table: a global FLUSH TABLES would wait for the slow queries to finish.
  await connection.query('FLUSH TABLES Customers.StatementCache').catch(() => undefined);
  await connection.query('FLUSH BINARY LOGS');

  const deadline = Date.now() + timeoutMs;
  let dirty = Number.POSITIVE_INFINITY;
  while (Date.now() < deadline) {
    const [row] = (await connection.query(
      "SELECT VARIABLE_VALUE AS n FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'",
    )) as { n: string }[];
    dirty = Number(row?.n ?? 0);
    if (dirty === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return dirty;
}
