import { describe, expect, it } from 'vitest';
import { summarizeQuote, toHex } from '../../src/attest/abi/describe.js';
import { TD_REPORT_10, TD_REPORT_15 } from '../../src/attest/abi/layout.js';
import { parseQuote, parseTdxQuote } from '../../src/attest/abi/quote.js';
import type { TdxQuote } from '../../src/attest/abi/types.js';
import { QuoteFormatError } from '../../src/attest/errors.js';
import { expectCode, readFixture } from '../helpers/attest.js';

const F1 = readFixture('dcap-qvl/tdx_quote');
const F2 = readFixture('dcap-qvl/tdx_quote_outdated');
const F3 = readFixture('dcap-qvl/sgx_quote');
const F4 = readFixture('go-tdx-guest/quote_v5_sample.dat');
const F5 = readFixture('zkdcap/quote_tdx_00806f050000.dat');
const F7 = readFixture('trustee/tdx_quote_4.dat');

// Offsets in F1, a v4 quote: body at 48, signature data length at 632, data from 636.
const V4 = {
  signatureDataLength: 632,
  certificationType: 764,
  certificationSize: 766,
  qeReport: 770,
  qeAuthDataSize: 1218,
  innerType: 1252,
  innerSize: 1254,
  chain: 1258,
};

function writeU16(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[offset] = value & 0xff;
  copy[offset + 1] = value >> 8;
  return copy;
}

function writeU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  Buffer.from(copy.buffer, copy.byteOffset).writeUInt32LE(value, offset);
  return copy;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(offset);
}

describe('parseQuote', () => {
  describe('on the fixture quotes', () => {
    it('reads a v4 quote with a TD report 1.0', () => {
      const quote = parseTdxQuote(F1);
      expect(quote.header.version).toBe(4);
      expect(quote.bodyKind).toBe('tdReport10');
      expect(toHex(quote.body.mrTd).startsWith('91eb2b44d141d4ec')).toBe(true);
      expect(toHex(quote.body.teeTcbSvn).startsWith('060103')).toBe(true);
      expect(quote.signedRegion.length).toBe(632);
      expect(quote.signatureData.certificationDataType).toBe(6);
      expect(quote.signatureData.pckCertificateChain.certificates).toHaveLength(3);
    });

    it('reads a v5 quote with a TD report 1.5', () => {
      const quote = parseTdxQuote(F2);
      expect(quote.header.version).toBe(5);
      expect(quote.bodyKind).toBe('tdReport15');
      expect(toHex(quote.body.teeTcbSvn).startsWith('07010300')).toBe(true);
      expect(toHex(quote.body.teeTcbSvn2!).startsWith('0d010300')).toBe(true);
      expect(quote.signedRegion.length).toBe(702);
      expect(toHex(parseTdxQuote(F4).body.teeTcbSvn2!).startsWith('0d010400')).toBe(true);
      expect(toHex(parseTdxQuote(F4).body.mrServiceTd!)).toBe('0'.repeat(96));
    });

    it('reads the fields trustee lists for tdx_quote_4.dat', () => {
      const quote = parseTdxQuote(F7);
      expect(toHex(quote.body.mrTd).startsWith('705ee9381b8633a9')).toBe(true);
      expect(toHex(quote.body.reportData).startsWith('7c71fe2c86eff65a')).toBe(true);
      expect(toHex(quote.body.xfam)).toBe('e742060000000000');
      expect(summarizeQuote(quote).body).toMatchObject({
        tdAttributeFlags: { set: ['DEBUG', 'SEPT_VE_DISABLE'], reservedBits: [] },
      });
    });

    it('records zero padding after the signature data as trailing bytes', () => {
      const quote = parseQuote(F5);
      expect(F5.length).toBe(8000);
      expect(quote.trailingLength).toBe(3065);
      expect(quote.raw.length).toBe(8000 - 3065);
    });

    it('recognises an SGX v3 quote', () => {
      const quote = parseQuote(F3);
      expect(quote.header.tee).toBe('SGX');
      expect(quote.bodyKind).toBe('sgxEnclaveReport');
      expect(quote.signatureData.certificationDataType).toBe(5);
    });

    it('copies the input before parsing', () => {
      const input = new Uint8Array(F1);
      const quote = parseTdxQuote(input);
      input.fill(0);
      expect(toHex(quote.body.mrTd).startsWith('91eb2b44')).toBe(true);
    });
  });

  describe('parseTdxQuote', () => {
    it('rejects an SGX quote as not a TDX quote', () => {
      const error = expectCode(() => parseTdxQuote(F3), QuoteFormatError, 'NOT_TDX_QUOTE');
      expect((error as QuoteFormatError).field).toBe('header.teeType');
    });
  });

  describe('when the quote is cut short', () => {
    it('throws QUOTE_TRUNCATED at every length below the full quote', () => {
      for (let length = 0; length < F1.length - 70; length += 1) {
        const error = expectCode(
          () => parseQuote(F1.subarray(0, length)),
          QuoteFormatError,
          'QUOTE_TRUNCATED',
        );
        expect((error as QuoteFormatError).offset).toBeLessThanOrEqual(length);
      }
    });

    it('names the TD report field that starts at the cut', () => {
      for (const [field, spec] of Object.entries(TD_REPORT_10)) {
        const cut = 48 + spec.offset;
        const error = expectCode(
          () => parseQuote(F1.subarray(0, cut)),
          QuoteFormatError,
          'QUOTE_TRUNCATED',
        );
        expect((error as QuoteFormatError).field).toBe(`body.${field}`);
        expect((error as QuoteFormatError).offset).toBe(cut);
      }
    });

    it('names the TD report 1.5 fields of a v5 quote', () => {
      for (const field of ['teeTcbSvn2', 'mrServiceTd'] as const) {
        const cut = 54 + TD_REPORT_15[field].offset;
        const error = expectCode(
          () => parseQuote(F2.subarray(0, cut)),
          QuoteFormatError,
          'QUOTE_TRUNCATED',
        );
        expect((error as QuoteFormatError).field).toBe(`body.${field}`);
      }
    });

    it('names the header field that starts at the cut', () => {
      const cases: [number, string][] = [
        [0, 'header.version'],
        [2, 'header.attestationKeyType'],
        [4, 'header.teeType'],
        [12, 'header.qeVendorId'],
        [28, 'header.userData'],
        [48, 'body.teeTcbSvn'],
        [V4.signatureDataLength, 'signatureData.length'],
        [V4.signatureDataLength + 4, 'signatureData'],
      ];
      for (const [cut, field] of cases) {
        const error = expectCode(
          () => parseQuote(F1.subarray(0, cut)),
          QuoteFormatError,
          'QUOTE_TRUNCATED',
        );
        expect((error as QuoteFormatError).field).toBe(field);
      }
    });
  });

  describe('when a length field is wrong', () => {
    const declared = readU32(F1, V4.signatureDataLength);

    it('throws QUOTE_TRUNCATED when the signature data runs past the end', () => {
      const quote = writeU32(F1, V4.signatureDataLength, F1.length);
      expectCode(() => parseQuote(quote), QuoteFormatError, 'QUOTE_TRUNCATED');
    });

    it('throws CERTIFICATION_DATA_SIZE_MISMATCH when the signature data is declared short', () => {
      const quote = writeU32(F1, V4.signatureDataLength, declared - 1);
      expectCode(() => parseQuote(quote), QuoteFormatError, 'CERTIFICATION_DATA_SIZE_MISMATCH');
    });

    it('throws CERTIFICATION_DATA_SIZE_MISMATCH when the signature data is declared long', () => {
      const quote = writeU32(F1, V4.signatureDataLength, declared + 1);
      expectCode(() => parseQuote(quote), QuoteFormatError, 'CERTIFICATION_DATA_SIZE_MISMATCH');
    });

    it('throws CERTIFICATION_DATA_SIZE_MISMATCH for each size inside the signature data', () => {
      const outer = readU32(F1, V4.certificationSize);
      const inner = readU32(F1, V4.innerSize);
      const cases = [
        writeU32(F1, V4.certificationSize, outer + 1),
        writeU32(F1, V4.certificationSize, outer - 1),
        writeU16(F1, V4.qeAuthDataSize, 0xffff),
        writeU32(F1, V4.innerSize, inner + 1),
        writeU32(F1, V4.innerSize, inner - 1),
      ];
      for (const quote of cases) {
        expectCode(() => parseQuote(quote), QuoteFormatError, 'CERTIFICATION_DATA_SIZE_MISMATCH');
      }
    });

    it('rejects a QE authentication data size that shifts the fields after it', () => {
      for (const size of [0, 31, 33]) {
        expect(() => parseQuote(writeU16(F1, V4.qeAuthDataSize, size))).toThrow(QuoteFormatError);
      }
    });

    it('rejects a v5 body size that does not match the body type', () => {
      const wrongSize = writeU32(F2, 50, 584);
      const error = expectCode(() => parseQuote(wrongSize), QuoteFormatError, 'QUOTE_BODY_INVALID');
      expect((error as QuoteFormatError).field).toBe('bodyDescriptor.bodySize');
      const wrongType = writeU16(F2, 48, 2);
      expectCode(() => parseQuote(wrongType), QuoteFormatError, 'QUOTE_BODY_INVALID');
      const unknownType = writeU16(F2, 48, 9);
      expectCode(() => parseQuote(unknownType), QuoteFormatError, 'QUOTE_BODY_INVALID');
      const sgxBody = writeU32(writeU16(F2, 48, 1), 50, 384);
      expectCode(() => parseQuote(sgxBody), QuoteFormatError, 'QUOTE_BODY_INVALID');
    });
  });

  describe('when a type field is unsupported', () => {
    it('rejects quote version 6', () => {
      expectCode(
        () => parseQuote(writeU16(F1, 0, 6)),
        QuoteFormatError,
        'QUOTE_UNSUPPORTED_VERSION',
      );
    });

    it('rejects attestation key type 3 (P-384)', () => {
      expectCode(
        () => parseQuote(writeU16(F1, 2, 3)),
        QuoteFormatError,
        'QUOTE_UNSUPPORTED_KEY_TYPE',
      );
    });

    it('rejects TEE type 0x80', () => {
      expectCode(
        () => parseQuote(writeU32(F1, 4, 0x80)),
        QuoteFormatError,
        'QUOTE_UNSUPPORTED_TEE_TYPE',
      );
    });

    it('rejects a version 3 quote that claims to be TDX', () => {
      expectCode(
        () => parseQuote(writeU32(F3, 4, 0x81)),
        QuoteFormatError,
        'QUOTE_UNSUPPORTED_TEE_TYPE',
      );
    });

    it('rejects outer certification data other than type 6', () => {
      const error = expectCode(
        () => parseQuote(writeU16(F1, V4.certificationType, 5)),
        QuoteFormatError,
        'CERTIFICATION_DATA_UNSUPPORTED',
      );
      expect((error as QuoteFormatError).offset).toBe(V4.certificationType);
    });

    it('rejects an inner PCK leaf certificate (type 4) instead of the chain', () => {
      const error = expectCode(
        () => parseQuote(writeU16(F1, V4.innerType, 4)),
        QuoteFormatError,
        'CERTIFICATION_DATA_UNSUPPORTED',
      );
      expect((error as QuoteFormatError).field).toBe(
        'signatureData.qeReportCertificationData.certificationData.type',
      );
    });

    it('rejects an encrypted PPID (type 3) with a hint about embedding the chain', () => {
      const error = expectCode(
        () => parseQuote(writeU16(F1, V4.innerType, 3)),
        QuoteFormatError,
        'CERTIFICATION_DATA_UNSUPPORTED',
      );
      expect((error as QuoteFormatError).hint).toContain('type 5');
    });
  });

  describe('when the PCK chain text is malformed', () => {
    it('rejects text between certificates', () => {
      const quote = new Uint8Array(F1);
      const text = Buffer.from(quote.subarray(V4.chain)).toString('latin1');
      const position = text.indexOf('-----END CERTIFICATE-----') + 25;
      quote[V4.chain + position] = 'x'.charCodeAt(0);
      expectCode(() => parseQuote(quote), QuoteFormatError, 'PCK_CHAIN_INVALID');
    });

    it('rejects a character outside base64 inside a certificate', () => {
      const quote = new Uint8Array(F1);
      quote[V4.chain + 100] = '*'.charCodeAt(0);
      expectCode(() => parseQuote(quote), QuoteFormatError, 'PCK_CHAIN_INVALID');
    });
  });

  it('keeps the parsed TD report identical to the bytes of the quote', () => {
    const quote = parseTdxQuote(F1) as TdxQuote;
    expect(toHex(quote.body.reportData)).toBe(toHex(F1.subarray(568, 632)));
  });
});
