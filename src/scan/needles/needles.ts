import { createHash } from 'node:crypto';
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
  /** Values (and encoded forms) shorter than this many bytes are rejected; default 4. */
  readonly minLength?: number | undefined;
}

/** A value that was not searched for, and why. */
export interface RejectedValue {
  /** Index of the value in the input list. */
  readonly index: number;
  readonly label?: string | undefined;
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
  readonly rejected: readonly RejectedValue[];
  readonly minLength: number;
}

export const DEFAULT_MIN_LENGTH = 4;
/** The matcher reads 4-byte grams, so no pattern can be shorter. */
export const SMALLEST_MIN_LENGTH = 4;
/** More distinct patterns than this would not fit the memory bound of the matcher tables. */
export const MAX_PATTERNS = 1_000_000;

/** Bytes of a value in its natural form: UTF-8 for text, the bytes themselves otherwise. */
export function valueBytes(value: ScanValue): Uint8Array {
  return typeof value.value === 'string' ? Buffer.from(value.value, 'utf8') : value.value;
}

/** A short, stable fingerprint of a value for reports that must not show it (SHA-256 prefix). */
export function redactValue(value: ScanValue): string {
  return `sha256:${createHash('sha256').update(valueBytes(value)).digest('hex').slice(0, 12)}`;
}

function encodeValue(value: ScanValue, encoding: Encoding, index: number): Uint8Array | undefined {
  const text = typeof value.value === 'string' ? value.value : undefined;
  const where = value.label ? ` (value ${index + 1}, ${value.label})` : ` (value ${index + 1})`;
  try {
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
  } catch (error) {
    if (error instanceof ScanError) {
      throw new ScanError('VALUES_INVALID', `${error.message}${where}`, {
        hint: error.hint,
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Turns values into the distinct byte patterns to search for. A value shorter than
 * `minLength` bytes is rejected, because it would match nearly everywhere. An encoded form
 * shorter than that (such as a 1-byte TINYINT) is left out.
 */
export function buildNeedles(values: readonly ScanValue[], options: NeedleOptions = {}): NeedleSet {
  const minLength = options.minLength ?? DEFAULT_MIN_LENGTH;
  if (!Number.isInteger(minLength) || minLength < SMALLEST_MIN_LENGTH) {
    throw new ScanError(
      'VALUES_INVALID',
      `minimum length ${minLength} is below ${SMALLEST_MIN_LENGTH} bytes`,
      {
        hint: `choose a minimum length of ${SMALLEST_MIN_LENGTH} bytes or more`,
      },
    );
  }
  const encodings = options.encodings ?? ENCODINGS;
  const indexByKey = new Map<string, number>();
  const patterns: Uint8Array[] = [];
  const owners: PatternOwner[][] = [];
  const encodingsByValue: Encoding[][] = [];
  const rejected: RejectedValue[] = [];

  values.forEach((value, index) => {
    const natural = valueBytes(value).length;
    encodingsByValue.push([]);
    if (natural < minLength) {
      rejected.push({
        index,
        label: value.label,
        length: natural,
        reason: `shorter than ${minLength} bytes`,
      });
      return;
    }
    for (const encoding of encodings) {
      const bytes = encodeValue(value, encoding, index);
      if (!bytes || bytes.length < minLength) continue;
      encodingsByValue[index]!.push(encoding);
      const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      let pattern = indexByKey.get(key);
      if (pattern === undefined) {
        pattern = patterns.length;
        indexByKey.set(key, pattern);
        patterns.push(bytes);
        owners.push([]);
      }
      owners[pattern]!.push({ value: index, encoding });
    }
    if (encodingsByValue[index]!.length === 0) {
      rejected.push({
        index,
        label: value.label,
        length: natural,
        reason: 'no selected encoding applies',
      });
    }
  });

  if (patterns.length > MAX_PATTERNS) {
    throw new ScanError(
      'TOO_MANY_PATTERNS',
      `${patterns.length} distinct patterns exceed the limit of ${MAX_PATTERNS}`,
      {
        hint: 'split the values into several scans',
      },
    );
  }
  return { values, patterns, owners, encodingsByValue, rejected, minLength };
}
