import { createHmac } from 'node:crypto';
import { ScanError } from '../errors.js';
import {
  encodeDecimal,
  encodeInteger,
  ENCODINGS,
  type Encoding,
  type IntegerSize,
} from './encodings.js';

/** A sensitive value to search for, with the column type that decides its binary forms. */
export interface ScanValue {
  /** The value as text, or raw bytes (searched as given, with encoding `bytes`). */
  readonly value: string | Uint8Array;
  /** Origin of the value, such as `Customers.Accounts.Balance`, and never the value itself. */
  readonly label?: string | undefined;
  /** `decimal` adds the binary DECIMAL form, `integer` the binary integer form. */
  readonly type?: 'text' | 'decimal' | 'integer' | undefined;
  readonly precision?: number | undefined;
  readonly scale?: number | undefined;
  /** Integer column size in bytes (1, 2, 3, 4 or 8); default 4 (INT). */
  readonly integerBytes?: IntegerSize | undefined;
  readonly unsigned?: boolean | undefined;
}

/** Options that turn values into byte patterns. */
export interface NeedleOptions {
  /** Encodings to search for; default all that apply to each value. */
  readonly encodings?: readonly Encoding[] | undefined;
  /** Encoded forms shorter than this many bytes are left out; default 4, at least 4. */
  readonly minLength?: number | undefined;
}

/** An encoded form of a value that was left out because it is shorter than the minimum length. */
export interface ShortForm {
  readonly encoding: Encoding;
  /** Length that was compared with the minimum, in bytes. */
  readonly length: number;
}

/** A value that was not searched for, and why. */
export interface RejectedValue {
  /** Index of the value in the input list. */
  readonly index: number;
  readonly label?: string | undefined;
  /** Length of the value in bytes (UTF-8 for text). */
  readonly length: number;
  readonly reason: string;
}

/** The encoding of one value that a pattern stands for. */
export interface PatternOwner {
  /** Index of the value in the input list. */
  readonly value: number;
  readonly encoding: Encoding;
}

/** Distinct byte patterns of the accepted values, each with the values and encodings it stands for. */
export interface NeedleSet {
  readonly values: readonly ScanValue[];
  readonly patterns: readonly Uint8Array[];
  readonly owners: readonly (readonly PatternOwner[])[];
  /** Encodings actually searched, per input value (empty for rejected values). */
  readonly encodingsByValue: readonly (readonly Encoding[])[];
  /** Encoded forms left out as too short, per input value. */
  readonly shortForms: readonly (readonly ShortForm[])[];
  readonly rejected: readonly RejectedValue[];
  readonly minLength: number;
}

export const DEFAULT_MIN_LENGTH = 4;
/** The matcher reads 4-byte grams, so no pattern can be shorter. */
export const SMALLEST_MIN_LENGTH = 4;
/**
 * Values one scan accepts at most. Checked before any value is encoded: 500,000 text values make
 * 1,000,000 patterns, whose tables and results take about 1.2 GiB in a scan on 2 workers.
 */
export const MAX_VALUES = 500_000;
/** More distinct patterns than this would not fit the memory bound of the matcher tables. */
export const MAX_PATTERNS = 1_000_000;

/** Bytes of a value in its natural form: UTF-8 for text, the bytes themselves otherwise. */
export function valueBytes(value: ScanValue): Uint8Array {
  return typeof value.value === 'string' ? Buffer.from(value.value, 'utf8') : value.value;
}

/**
 * A short fingerprint of a value for reports that must not show it: the first 64 bits of
 * HMAC-SHA256 of the value's bytes under `key`. Without the key, guessing a low-entropy value
 * such as a balance and comparing fingerprints is not possible, as it is with a plain hash.
 * Equal values have equal fingerprints only under the same key.
 */
export function redactValue(value: ScanValue, key: Uint8Array): string {
  const mac = createHmac('sha256', key).update(valueBytes(value)).digest('hex');
  return `hmac:${mac.slice(0, 16)}`;
}

function encodeValue(value: ScanValue, encoding: Encoding): Uint8Array | undefined {
  const text = typeof value.value === 'string' ? value.value : undefined;
  switch (encoding) {
    case 'bytes':
      return text === undefined ? (value.value as Uint8Array) : undefined;
    case 'utf8':
      return text === undefined ? undefined : Buffer.from(text, 'utf8');
    case 'utf16le':
      return text === undefined ? undefined : Buffer.from(text, 'utf16le');
    case 'decimal':
      return text !== undefined && value.type === 'decimal'
        ? encodeDecimal(text, value.precision ?? 10, value.scale ?? 0)
        : undefined;
    case 'integer':
      return text !== undefined && value.type === 'integer'
        ? encodeInteger(text, value.integerBytes ?? 4, value.unsigned ?? false)
        : undefined;
  }
}

/** Adds the value's position to an encoding error, which never contains the value itself. */
function locateError(error: unknown, value: ScanValue, index: number): unknown {
  if (!(error instanceof ScanError)) return error;
  const where = value.label ? ` (value ${index + 1}, ${value.label})` : ` (value ${index + 1})`;
  return new ScanError('VALUES_INVALID', `${error.message}${where}`, {
    hint: error.hint,
    cause: error,
  });
}

function checkMinLength(minLength: number) {
  if (!Number.isInteger(minLength) || minLength < SMALLEST_MIN_LENGTH) {
    throw new ScanError(
      'VALUES_INVALID',
      `minimum length ${minLength} is below ${SMALLEST_MIN_LENGTH} bytes`,
      { hint: `choose a minimum length of ${SMALLEST_MIN_LENGTH} bytes or more` },
    );
  }
}

function checkValueCount(count: number) {
  if (count > MAX_VALUES) {
    throw new ScanError(
      'TOO_MANY_PATTERNS',
      `${count} values exceed the limit of ${MAX_VALUES} per scan`,
      { hint: 'split the values into several scans' },
    );
  }
}

/** Distinct patterns with the value encodings each stands for. */
class PatternTable {
  readonly patterns: Uint8Array[] = [];
  readonly owners: PatternOwner[][] = [];
  private readonly indexByKey = new Map<string, number>();

  add(bytes: Uint8Array, owner: PatternOwner) {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    let pattern = this.indexByKey.get(key);
    if (pattern === undefined) {
      pattern = this.patterns.length;
      this.indexByKey.set(key, pattern);
      this.patterns.push(bytes);
      this.owners.push([]);
    }
    this.owners[pattern]!.push(owner);
  }
}

/**
 * Turns values into the distinct byte patterns to search for. Each encoded form is judged on its
 * own. A form shorter than `minLength` bytes would match nearly everywhere, so it is left out
 * and listed in `shortForms`, and a value with no form left is rejected. UTF-16LE text is judged
 * by its UTF-8 length, because the zero bytes it interleaves with ASCII text make it no more
 * distinctive. So SMALLINT 65000 is searched as text but not as its 2 stored bytes, and
 * BIGINT -5 is searched as its 8 stored bytes but not as the text "-5".
 */
export function buildNeedles(values: readonly ScanValue[], options: NeedleOptions = {}): NeedleSet {
  const minLength = options.minLength ?? DEFAULT_MIN_LENGTH;
  checkMinLength(minLength);
  checkValueCount(values.length);
  const encodings = options.encodings ?? ENCODINGS;
  const table = new PatternTable();
  const encodingsByValue: Encoding[][] = [];
  const shortForms: ShortForm[][] = [];
  const rejected: RejectedValue[] = [];

  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    const natural = valueBytes(value).length;
    const searched: Encoding[] = [];
    const short: ShortForm[] = [];
    for (const encoding of encodings) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = encodeValue(value, encoding);
      } catch (error) {
        throw locateError(error, value, index);
      }
      if (!bytes) continue;
      const length = encoding === 'utf16le' ? natural : bytes.length;
      if (length < minLength) {
        short.push({ encoding, length });
        continue;
      }
      searched.push(encoding);
      table.add(bytes, { value: index, encoding });
    }
    encodingsByValue.push(searched);
    shortForms.push(short);
    if (searched.length > 0) continue;
    const reason =
      short.length > 0
        ? `shorter than ${minLength} bytes in every encoding that applies (${short.map((f) => f.encoding).join(', ')})`
        : `no selected encoding applies to a value of type ${value.type ?? 'text'}`;
    rejected.push({ index, label: value.label, length: natural, reason });
  }

  if (table.patterns.length > MAX_PATTERNS) {
    throw new ScanError(
      'TOO_MANY_PATTERNS',
      `${table.patterns.length} distinct patterns exceed the limit of ${MAX_PATTERNS}`,
      { hint: 'split the values into several scans, or search fewer encodings' },
    );
  }
  const { patterns, owners } = table;
  return { values, patterns, owners, encodingsByValue, shortForms, rejected, minLength };
}
