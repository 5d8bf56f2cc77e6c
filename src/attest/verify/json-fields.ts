import { CollateralError } from '../errors.js';

/** Parses JSON text that must be an object; `source` names it in the CollateralError. */
export function parseJsonObject(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CollateralError('COLLATERAL_INVALID', `${source} is not valid JSON`, {
      source,
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CollateralError('COLLATERAL_INVALID', `${source} is not a JSON object`, { source });
  }
  return value as Record<string, unknown>;
}

/**
 * Typed reads from parsed collateral JSON. Every failure names the document and the JSON path,
 * for example `TCB Info (tcb.json) tcbLevels[2].tcb.pcesvn must be an integer from 0 to 65535`.
 */
export class JsonFields {
  constructor(
    private readonly value: Record<string, unknown>,
    readonly path: string,
    private readonly document: string,
  ) {}

  static root(text: string, document: string): JsonFields {
    return new JsonFields(parseJsonObject(text, document), '', document);
  }

  static wrap(value: unknown, path: string, document: string): JsonFields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new CollateralError(
        'COLLATERAL_INVALID',
        `${document} ${path || 'value'} must be an object`,
        {
          source: document,
        },
      );
    }
    return new JsonFields(value as Record<string, unknown>, path, document);
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  fail(key: string, expectation: string): never {
    throw new CollateralError(
      'COLLATERAL_INVALID',
      `${this.document} ${this.at(key)} ${expectation}`,
      { source: this.document },
    );
  }

  at(key: string | number): string {
    if (typeof key === 'number') return `${this.path}[${key}]`;
    return this.path ? `${this.path}.${key}` : key;
  }

  string(key: string): string {
    const value = this.value[key];
    if (typeof value !== 'string') this.fail(key, 'must be a string');
    return value;
  }

  integer(key: string, max = 0xffffffff): number {
    const value = this.value[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
      this.fail(key, `must be an integer from 0 to ${max}`);
    }
    return value;
  }

  /** Reads a hex string of exactly `size` bytes, in either case. */
  hex(key: string, size: number): Uint8Array {
    const value = this.string(key);
    if (value.length !== size * 2 || !/^[0-9a-fA-F]*$/.test(value)) {
      this.fail(key, `must be ${size * 2} hex digits`);
    }
    return new Uint8Array(Buffer.from(value, 'hex'));
  }

  /** Reads an ISO 8601 UTC time such as 2025-06-19T10:16:03Z. */
  date(key: string): Date {
    const value = this.string(key);
    const time = Date.parse(value);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) || Number.isNaN(time)) {
      this.fail(key, 'must be an ISO 8601 UTC time such as 2025-06-19T10:16:03Z');
    }
    return new Date(time);
  }

  /** Like `date`, but returns the text as written. */
  dateText(key: string): string {
    this.date(key);
    return this.string(key);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.string(key);
    if (!allowed.includes(value as T)) this.fail(key, `must be one of ${allowed.join(', ')}`);
    return value as T;
  }

  object(key: string): JsonFields {
    return JsonFields.wrap(this.value[key], this.at(key), this.document);
  }

  /** Reads the elements of an array member, each wrapped as an object. */
  objects(key: string, minimum = 0): JsonFields[] {
    const value = this.value[key];
    if (!Array.isArray(value) || value.length < minimum) {
      this.fail(key, `must be an array of at least ${minimum} objects`);
    }
    return value.map((item, index) =>
      JsonFields.wrap(item, `${this.at(key)}[${index}]`, this.document),
    );
  }

  strings(key: string): string[] {
    const value = this.value[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      this.fail(key, 'must be an array of strings');
    }
    return value as string[];
  }
}
