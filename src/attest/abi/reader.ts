import { QuoteFormatError, type QuoteFormatErrorCode } from '../errors.js';
import type { FieldSpec } from './layout.js';

/**
 * Bounds-checked little-endian reads over a quote. Every read names its field, so a short input
 * fails with the field and absolute offset that did not fit. A reader limited to a declared
 * container (such as the signature data) reports overruns with the container's code.
 */
export class QuoteReader {
  constructor(
    readonly bytes: Uint8Array,
    readonly end: number = bytes.length,
    private readonly overrunCode: QuoteFormatErrorCode = 'QUOTE_TRUNCATED',
    private readonly container = 'quote',
  ) {}

  /** Returns a reader over the same bytes that stops at `end`, for a container of declared size. */
  limit(end: number, container: string, code: QuoteFormatErrorCode): QuoteReader {
    return new QuoteReader(this.bytes, end, code, container);
  }

  /** Throws unless `size` bytes starting at `offset` are inside the readable range. */
  require(offset: number, size: number, field: string): void {
    if (offset + size <= this.end) return;
    const available = Math.max(0, this.end - offset);
    throw new QuoteFormatError(
      this.overrunCode,
      `${field} needs ${size} bytes at offset ${offset}, but the ${this.container} has only ` +
        `${available} left`,
      { field, offset },
      { hint: 'the quote is cut short or a length field in it is wrong; obtain the quote again' },
    );
  }

  bytesAt(offset: number, size: number, field: string): Uint8Array {
    this.require(offset, size, field);
    return this.bytes.subarray(offset, offset + size);
  }

  /** Reads one field of a layout table placed at `base`. */
  field(base: number, spec: FieldSpec, field: string): Uint8Array {
    return this.bytesAt(base + spec.offset, spec.size, field);
  }

  u16(offset: number, field: string): number {
    this.require(offset, 2, field);
    return this.bytes[offset]! | (this.bytes[offset + 1]! << 8);
  }

  u32(offset: number, field: string): number {
    this.require(offset, 4, field);
    const b = this.bytes;
    return (
      (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0
    );
  }
}
