import { describe, expect, it } from 'vitest';
import { encodeDecimal, encodeInteger } from '../../src/scan/needles/encodings.js';
import { ScanError } from '../../src/scan/errors.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('encodeDecimal', () => {
  // Expected bytes follow MariaDB strings/decimal.c decimal2bin: DECIMAL(15,2) has a 4-digit
  // leading group (2 bytes), one 9-digit word (4 bytes) and a 2-digit fraction (1 byte).
  it.each([
    ['1000.00', 15, 2, '8000000003e800'],
    ['84736.19', 15, 2, '800000014b0013'],
    ['1250000.55', 15, 2, '8000001312d037'],
    ['0.00', 15, 2, '80000000000000'],
    ['-1000.00', 15, 2, '7ffffffffc17ff'],
    // One 9-digit word on each side of the point and no partial groups.
    ['123456789.123456789', 18, 9, '875bcd15075bcd15'],
    // A 3-digit fraction group takes 2 bytes: 0.125 in DECIMAL(5,3) is 0x80 0x00 0x7d.
    ['0.125', 5, 3, '80007d'],
  ])('encodes %s as DECIMAL(%i,%i)', (text, precision, scale, expected) => {
    expect(hex(encodeDecimal(text, precision, scale))).toBe(expected);
  });

  it('pads missing fraction digits', () => {
    expect(hex(encodeDecimal('1000', 15, 2))).toBe(hex(encodeDecimal('1000.00', 15, 2)));
  });

  it('rejects more integer digits than the column holds', () => {
    expect(() => encodeDecimal('12345', 5, 2)).toThrow(ScanError);
  });

  it('rejects an invalid column type', () => {
    expect(() => encodeDecimal('1', 66, 2)).toThrowError(
      expect.objectContaining({ code: 'VALUES_INVALID' }),
    );
  });
});

describe('encodeInteger', () => {
  it('inverts the sign bit of signed integers', () => {
    expect(hex(encodeInteger('1000', 4))).toBe('800003e8');
    expect(hex(encodeInteger('-1', 4))).toBe('7fffffff');
    expect(hex(encodeInteger('-9223372036854775808', 8))).toBe('0000000000000000');
  });

  it('stores unsigned integers big-endian as they are', () => {
    expect(hex(encodeInteger('1000', 4, true))).toBe('000003e8');
  });

  it('rejects values outside the column range', () => {
    expect(() => encodeInteger('4294967296', 4, true)).toThrowError(
      expect.objectContaining({ code: 'VALUES_INVALID' }),
    );
  });
});
