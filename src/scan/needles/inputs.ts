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

async function readValuesBytes(path: string): Promise<Buffer> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) {
      throw new ScanError('VALUES_INVALID', `values file ${path} does not exist`, {
        hint: 'check --values',
        cause: error,
      });
    }
    if (isErrno(error, 'ELOOP')) {
      throw new ScanError('VALUES_INVALID', `values file ${path} is a loop of symbolic links`, {
        hint: 'check where the links point, for example with: readlink -f PATH',
        cause: error,
      });
    }
    throw new ScanError(
      'VALUES_INVALID',
      `values file ${path} cannot be read: ${(error as Error).message}`,
      { hint: 'check --values', cause: error },
    );
  }
}

/**
 * True when text starts as a JSON document of values does: `[` followed by a string, an object
 * or `]`, or `{` followed by a key. A first line such as `[ACME] Corp` is a value, not JSON.
 */
function looksLikeJson(text: string): boolean {
  return /^\s*(\[\s*(["{\]]|$)|\{\s*("|\}|$))/.test(text);
}

function parseJsonValues(bytes: Buffer, path: string): ScanValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeUtf8(bytes, path, 'a JSON values file'));
  } catch (error) {
    if (error instanceof ScanError) throw error;
    // The parser's own message may quote the file, whose values are secrets: only the place
    // of the error is reported.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    const where =
      position === undefined
        ? ''
        : ` at ${lineAndColumn(bytes.toString('utf8'), Number(position))}`;
    throw new ScanError(
      'VALUES_INVALID',
      `values file ${path} starts like a JSON document but is not valid JSON${where}`,
      {
        hint: 'fix the JSON; a file of one value per line is read as such unless its first line starts like JSON, as in ["a", or {"values"',
      },
    );
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { values?: unknown }).values;
  if (!Array.isArray(list))
    throw new ScanError('VALUES_INVALID', `values file ${path} has no "values" array`);
  return list.map((entry, index) => parseJsonValue(entry, index, path));
}

/**
 * Reads values from a file, or from standard input for `-`. A UTF-8 byte order mark is removed.
 * Text that starts like a JSON document (`["`, `[{`, `{"`) is a JSON array of values, or an
 * object with a `values` array such as `load banking --list --json` prints, and must be UTF-8.
 * Any other text has one value per line: LF or CRLF line ends, blank lines skipped, other
 * spaces kept, and a line that is not UTF-8 kept as raw bytes. Duplicates are kept;
 * {@link dedupeValues} removes them.
 */
export async function readValuesFile(path: string): Promise<ScanValue[]> {
  let bytes = await readValuesBytes(path);
  if (bytes.subarray(0, 3).equals(UTF8_BOM)) bytes = bytes.subarray(3);
  if (looksLikeJson(bytes.subarray(0, 64).toString('latin1'))) return parseJsonValues(bytes, path);
  const values: ScanValue[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    let line = bytes.subarray(start, end);
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    if (line.length > 0) values.push({ value: lineValue(line) });
    start = end + 1;
  }
  return values;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns a line into a value: text when it is valid UTF-8, searched in every text encoding, and
 * otherwise the raw bytes it holds, as data in another character set is stored.
 */
function lineValue(line: Buffer): string | Uint8Array {
  try {
    return strictUtf8.decode(line);
  } catch {
    return new Uint8Array(line);
  }
}

function decodeUtf8(bytes: Buffer, path: string, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new ScanError(
      'VALUES_INVALID',
      `values file ${path} is not valid UTF-8, as ${what} must be`,
      {
        hint: 'convert it, for example with iconv -t UTF-8, or give one value per line, where a line that is not UTF-8 is searched as raw bytes',
      },
    );
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/** Key of the things that decide a value's byte patterns: its bytes and its column type. */
function valueKey(value: ScanValue): string {
  const bytes =
    typeof value.value === 'string'
      ? `t${value.value}`
      : `b${Buffer.from(value.value).toString('hex')}`;
  const type = value.type ?? 'text';
  if (type === 'decimal') return `${bytes}\0decimal:${value.precision ?? 10}:${value.scale ?? 0}`;
  if (type === 'integer')
    return `${bytes}\0integer:${value.integerBytes ?? 4}:${value.unsigned ?? false}`;
  return `${bytes}\0text`;
}

/**
 * Removes values that repeat an earlier one with the same column type, so that each is searched
 * and reported once. A kept value's label lists the distinct labels of its repeats.
 */
export function dedupeValues(values: readonly ScanValue[]): {
  values: ScanValue[];
  duplicates: number;
} {
  const kept = new Map<string, { value: ScanValue; labels: Set<string> }>();
  for (const value of values) {
    const key = valueKey(value);
    const known = kept.get(key);
    if (!known) kept.set(key, { value, labels: new Set(value.label ? [value.label] : []) });
    else if (value.label) known.labels.add(value.label);
  }
  const unique: ScanValue[] = [];
  for (const { value, labels } of kept.values()) {
    unique.push(labels.size > 1 ? { ...value, label: [...labels].join(', ') } : value);
  }
  return { values: unique, duplicates: values.length - unique.length };
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
