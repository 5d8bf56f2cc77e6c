import { ScanError } from '../errors.js';

/**
 * Byte encodings searched for a value. `decimal` and `integer` are the binary forms InnoDB
 * stores in rows of DECIMAL and integer columns; `bytes` is a value given as raw bytes.
 */
export type Encoding = 'utf8' | 'utf16le' | 'decimal' | 'integer' | 'bytes';

export const ENCODINGS: readonly Encoding[] = ['utf8', 'utf16le', 'decimal', 'integer', 'bytes'];

// Bytes used by a group of 0..9 decimal digits (MariaDB strings/decimal.c, dig2bytes).
const DIGIT_GROUP_BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4] as const;
const DIGITS_PER_WORD = 9;
/** Largest precision of a MariaDB DECIMAL column. */
export const MAX_DECIMAL_PRECISION = 65;
/** Largest scale of a MariaDB DECIMAL column. */
export const MAX_DECIMAL_SCALE = 38;

/** Column sizes in bytes of TINYINT, SMALLINT, MEDIUMINT, INT and BIGINT. */
export const INTEGER_SIZES = [1, 2, 3, 4, 8] as const;
export type IntegerSize = (typeof INTEGER_SIZES)[number];

function invalid(message: string, hint?: string): ScanError {
  return new ScanError('VALUES_INVALID', message, hint === undefined ? undefined : { hint });
}

/** Writes `value` big-endian into `out[at, at + size)`. */
function writeBigEndian(out: Uint8Array, at: number, size: number, value: number) {
  for (let i = size - 1; i >= 0; i--) {
    out[at + i] = value % 256;
    value = Math.floor(value / 256);
  }
}

/** Splits a decimal literal into sign and digit strings; undefined when it is not one. */
export function parseDecimalLiteral(
  text: string,
): { negative: boolean; integer: string; fraction: string } | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  return {
    negative: match[1] === '-',
    integer: match[2]!.replace(/^0+/, ''),
    fraction: match[3] ?? '',
  };
}

/** Validates DECIMAL(precision, scale) bounds as MariaDB does. */
export function checkDecimalType(precision: number, scale: number) {
  if (
    !Number.isInteger(precision) ||
    !Number.isInteger(scale) ||
    precision < 1 ||
    precision > MAX_DECIMAL_PRECISION ||
    scale < 0 ||
    scale > MAX_DECIMAL_SCALE ||
    scale > precision
  ) {
    throw invalid(
      `DECIMAL(${precision},${scale}) is not a valid column type`,
      `use a precision of 1..${MAX_DECIMAL_PRECISION} and a scale of 0..${MAX_DECIMAL_SCALE}, at most the precision`,
    );
  }
}

/**
 * Encodes a decimal literal in MariaDB's binary DECIMAL(precision, scale) format
 * (strings/decimal.c, decimal2bin), as InnoDB stores it in a row: digit groups of 9 stored
 * big-endian in 4 bytes, a shorter leading integer group and trailing fraction group, every byte
 * inverted for negative values, and then the top bit of the first byte inverted.
 */
export function encodeDecimal(text: string, precision: number, scale: number): Uint8Array {
  checkDecimalType(precision, scale);
  const parsed = parseDecimalLiteral(text);
  if (!parsed) throw invalid('a value of a DECIMAL column is not a decimal number');

  const integerDigits = precision - scale;
  if (parsed.integer.length > integerDigits) {
    throw invalid(`a value has more integer digits than DECIMAL(${precision},${scale}) allows`);
  }
  if (parsed.fraction.replace(/0+$/, '').length > scale) {
    throw invalid(`a value has more fraction digits than DECIMAL(${precision},${scale}) allows`);
  }

  const integer = parsed.integer.padStart(integerDigits, '0');
  const fraction = parsed.fraction.padEnd(scale, '0').slice(0, scale);
  const negative = parsed.negative && /[1-9]/.test(integer + fraction);

  const leadDigits = integerDigits % DIGITS_PER_WORD;
  const tailDigits = scale % DIGITS_PER_WORD;
  const groups: [digits: string, bytes: number][] = [];
  if (leadDigits > 0) groups.push([integer.slice(0, leadDigits), DIGIT_GROUP_BYTES[leadDigits]!]);
  for (let i = leadDigits; i < integerDigits; i += DIGITS_PER_WORD) {
    groups.push([integer.slice(i, i + DIGITS_PER_WORD), 4]);
  }
  for (let i = 0; i + DIGITS_PER_WORD <= scale; i += DIGITS_PER_WORD) {
    groups.push([fraction.slice(i, i + DIGITS_PER_WORD), 4]);
  }
  if (tailDigits > 0) {
    groups.push([fraction.slice(scale - tailDigits), DIGIT_GROUP_BYTES[tailDigits]!]);
  }

  const out = new Uint8Array(groups.reduce((sum, [, bytes]) => sum + bytes, 0));
  let at = 0;
  for (const [digits, bytes] of groups) {
    writeBigEndian(out, at, bytes, Number(digits));
    at += bytes;
  }
  if (negative) for (let i = 0; i < out.length; i++) out[i] = ~out[i]! & 0xff;
  if (out.length > 0) out[0]! ^= 0x80;
  return out;
}

/**
 * Encodes an integer as InnoDB stores it in a row: big-endian, with the sign bit inverted for
 * signed columns so that byte order sorts as number order.
 */
export function encodeInteger(text: string, size: IntegerSize, unsigned = false): Uint8Array {
  if (!/^[+-]?\d+$/.test(text.trim()))
    throw invalid('a value of an integer column is not an integer');
  const value = BigInt(text.trim());
  const bits = BigInt(size * 8);
  const min = unsigned ? 0n : -(1n << (bits - 1n));
  const max = unsigned ? (1n << bits) - 1n : (1n << (bits - 1n)) - 1n;
  if (value < min || value > max) {
    throw invalid(
      `a value is outside the range of a ${size}-byte ${unsigned ? 'unsigned ' : ''}integer`,
    );
  }

  let stored = unsigned ? value : value + (1n << (bits - 1n));
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(stored & 0xffn);
    stored >>= 8n;
  }
  return out;
}
