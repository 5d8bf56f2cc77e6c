import { readFile } from 'node:fs/promises';
import type { Connection } from '../../mariadb/connection.js';
import {
  bankingSensitiveValues,
  generateBanking,
  type SensitiveValue,
} from '../../dataset/banking.js';
import { isErrno } from '../../util/fs.js';
import { ScanError } from '../errors.js';
import { INTEGER_SIZES, type IntegerSize } from './encodings.js';
import type { ScanValue } from './needles.js';

/** Values of the banking data set, with DECIMAL types for balances. */
export function bankingValues(
  options: { rows?: number | undefined; seed?: number | undefined } = {},
): ScanValue[] {
  return bankingSensitiveValues(generateBanking(options)).map(fromSensitiveValue);
}

/** Converts a data set's sensitive value into a scan value. */
export function fromSensitiveValue(value: SensitiveValue): ScanValue {
  return {
    value: value.value,
    label: `Customers.${value.table}.${value.column}`,
    type: value.type,
    precision: value.precision,
    scale: value.scale,
  };
}

function invalidJson(path: string, index: number, problem: string): ScanError {
  return new ScanError('VALUES_INVALID', `${path}: value ${index + 1} ${problem}`, {
    hint: 'each entry is a string, or an object with "value" (or "hex") and optional "type", "precision", "scale", "integerBytes", "unsigned", "label"',
  });
}

function parseJsonValue(entry: unknown, index: number, path: string): ScanValue {
  if (typeof entry === 'string') return { value: entry };
  if (typeof entry !== 'object' || entry === null)
    throw invalidJson(path, index, 'is neither a string nor an object');
  const record = entry as Record<string, unknown>;
  let value: string | Uint8Array;
  if (typeof record.value === 'string') value = record.value;
  else if (typeof record.hex === 'string' && /^(?:[0-9a-fA-F]{2})+$/.test(record.hex))
    value = Buffer.from(record.hex, 'hex');
  else throw invalidJson(path, index, 'has no string "value" or even-length "hex"');

  const type = record.type ?? 'text';
  if (type !== 'text' && type !== 'decimal' && type !== 'integer') {
    throw invalidJson(path, index, 'has a "type" other than text, decimal or integer');
  }
  const integerBytes = record.integerBytes ?? 4;
  if (!INTEGER_SIZES.includes(integerBytes as IntegerSize)) {
    throw invalidJson(path, index, 'has "integerBytes" other than 1, 2, 3, 4 or 8');
  }
  return {
    value,
    label:
      typeof record.label === 'string'
        ? record.label
        : typeof record.table === 'string' && typeof record.column === 'string'
          ? `${record.table}.${record.column}`
          : undefined,
    type,
    precision: typeof record.precision === 'number' ? record.precision : undefined,
    scale: typeof record.scale === 'number' ? record.scale : undefined,
    integerBytes: integerBytes as IntegerSize,
    unsigned: record.unsigned === true,
  };
}

/**
 * Reads values from a file: one value per line (blank lines skipped, a trailing CR removed), or a
 * JSON array of values, or a JSON object with a `values` array such as `load banking --list --json`
 * prints.
 */
export async function readValuesFile(path: string): Promise<ScanValue[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new ScanError('VALUES_INVALID', `values file ${path} does not exist`, {
        hint: 'check --values',
        cause: error,
      });
    }
    throw new ScanError(
      'VALUES_INVALID',
      `values file ${path} cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }

  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ScanError(
        'VALUES_INVALID',
        `values file ${path} starts like JSON but is not valid JSON`,
        {
          hint: 'fix the JSON, or give one value per line',
          cause: error,
        },
      );
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { values?: unknown }).values;
    if (!Array.isArray(list))
      throw new ScanError('VALUES_INVALID', `values file ${path} has no "values" array`);
    return list.map((entry, index) => parseJsonValue(entry, index, path));
  }
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.length > 0)
    .map((value) => ({ value }));
}

/** A table and columns to read values from, parsed from `DB.TABLE:COL1,COL2`. */
export interface ColumnSpec {
  readonly database: string;
  readonly table: string;
  readonly columns: readonly string[];
}

const IDENTIFIER = /^[^`.:,\s][^`.:,]*$/;

/** Parses `DB.TABLE:COL1,COL2`. */
export function parseColumnSpec(text: string): ColumnSpec {
  const match = /^([^.:]+)\.([^.:]+):(.+)$/.exec(text);
  const columns = match?.[3]!.split(',').map((c) => c.trim()) ?? [];
  if (!match || ![match[1]!, match[2]!, ...columns].every((name) => IDENTIFIER.test(name))) {
    throw new ScanError('VALUES_INVALID', `--from-db ${text} is not DB.TABLE:COL1,COL2`, {
      hint: 'for example: --from-db Customers.Individuals:Name,Email',
    });
  }
  return { database: match[1]!, table: match[2]!, columns };
}

const quote = (name: string) => `\`${name}\``;

interface ColumnInfo {
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  NUMERIC_PRECISION: bigint | number | null;
  NUMERIC_SCALE: bigint | number | null;
}

const INTEGER_TYPE_BYTES: Record<string, IntegerSize> = {
  tinyint: 1,
  smallint: 2,
  mediumint: 3,
  int: 4,
  bigint: 8,
};
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

function typeOf(column: ColumnInfo): Omit<ScanValue, 'value'> {
  const type = column.DATA_TYPE.toLowerCase();
  if (type === 'decimal') {
    return {
      type: 'decimal',
      precision: Number(column.NUMERIC_PRECISION),
      scale: Number(column.NUMERIC_SCALE),
    };
  }
  const integerBytes = INTEGER_TYPE_BYTES[type];
  if (integerBytes)
    return { type: 'integer', integerBytes, unsigned: /unsigned/i.test(column.COLUMN_TYPE) };
  return { type: 'text' };
}

/** Reads the distinct non-NULL values of some columns, with their column types, over `connection`. */
export async function valuesFromDatabase(
  connection: Connection,
  spec: ColumnSpec,
  limit: number,
): Promise<ScanValue[]> {
  const info = (await connection.query(
    'SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [spec.database, spec.table],
  )) as ColumnInfo[];
  const byName = new Map(info.map((c) => [c.COLUMN_NAME.toLowerCase(), c]));
  const values: ScanValue[] = [];

  for (const name of spec.columns) {
    const column = byName.get(name.toLowerCase());
    if (!column) {
      throw new ScanError(
        'VALUES_INVALID',
        `column ${spec.database}.${spec.table}.${name} does not exist`,
        {
          hint:
            info.length === 0
              ? 'check the database and table names'
              : `columns: ${info.map((c) => c.COLUMN_NAME).join(', ')}`,
        },
      );
    }
    const binary = BINARY_TYPES.has(column.DATA_TYPE.toLowerCase());
    const select = binary
      ? quote(column.COLUMN_NAME)
      : `CAST(${quote(column.COLUMN_NAME)} AS CHAR)`;
    const rows = (await connection.query({
      sql: `SELECT DISTINCT ${select} AS v FROM ${quote(spec.database)}.${quote(spec.table)} WHERE ${quote(column.COLUMN_NAME)} IS NOT NULL LIMIT ${limit + 1}`,
      rowsAsArray: true,
    })) as [string | Buffer][];
    if (values.length + rows.length > limit) {
      throw new ScanError(
        'TOO_MANY_PATTERNS',
        `${spec.database}.${spec.table} has more than ${limit} distinct values to search for`,
        {
          hint: 'scan fewer columns at a time',
        },
      );
    }
    const type = typeOf(column);
    const label = `${spec.database}.${spec.table}.${column.COLUMN_NAME}`;
    for (const [value] of rows)
      values.push({
        ...type,
        value: Buffer.isBuffer(value) ? new Uint8Array(value) : value,
        label,
      });
  }
  return values;
}
