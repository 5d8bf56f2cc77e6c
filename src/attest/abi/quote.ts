import { QuoteFormatError, type QuoteFormatErrorCode } from '../errors.js';
import { parseEnclaveReport, parseTdReport } from './body.js';
import {
  ATTESTATION_KEY_TYPE_ECDSA_P256,
  BODY_DESCRIPTOR,
  BODY_DESCRIPTOR_SIZE,
  BODY_TYPE,
  ENCLAVE_REPORT_SIZE,
  QUOTE_HEADER,
  QUOTE_HEADER_SIZE,
  QUOTE_VERSION,
  SIGNATURE_DATA_LENGTH_FIELD,
  TD_REPORT_10_SIZE,
  TD_REPORT_15_SIZE,
  TEE_TYPE,
} from './layout.js';
import { QuoteReader } from './reader.js';
import { parseSignatureData } from './signature-data.js';
import type { BodyKind, Quote, QuoteHeader, TdxQuote } from './types.js';

/**
 * Parses a DCAP quote: TDX v4 (TD report 1.0), TDX v5 (TD report 1.0 or 1.5) or SGX v3/v4/v5.
 * Every length is checked against the bytes present and against the structure it declares, and
 * each failure is a QuoteFormatError naming the field and its offset. No signature is checked.
 */
export function parseQuote(input: Uint8Array): Quote {
  // Copy first: the caller's buffer may change while the parsed views are in use.
  const bytes = new Uint8Array(input);
  const reader = new QuoteReader(bytes);

  const header = parseHeader(reader);
  const { kind, bodyOffset, bodySize } = locateBody(reader, header);
  const body =
    kind === 'sgxEnclaveReport'
      ? { bodyKind: kind, body: parseEnclaveReport(reader, bodyOffset, 'body') }
      : { bodyKind: kind, body: parseTdReport(reader, bodyOffset, kind) };

  const signatureDataOffset = bodyOffset + bodySize;
  const length = reader.u32(signatureDataOffset, 'signatureData.length');
  const dataStart = signatureDataOffset + SIGNATURE_DATA_LENGTH_FIELD.size;
  reader.require(dataStart, length, 'signatureData');
  const signatureData = parseSignatureData(reader, dataStart, length, header.version);
  const end = dataStart + length;
  return {
    raw: bytes.subarray(0, end),
    header,
    signedRegion: bytes.subarray(0, signatureDataOffset),
    signatureData,
    bodyOffset,
    signatureDataOffset,
    trailingLength: bytes.length - end,
    trailingZero: bytes.subarray(end).every((byte) => byte === 0),
    ...body,
  } as Quote;
}

/**
 * Parses a quote and requires it to be a TDX quote. An SGX quote is recognised as such and
 * rejected with NOT_TDX_QUOTE.
 */
export function parseTdxQuote(input: Uint8Array): TdxQuote {
  const quote = parseQuote(input);
  if (quote.bodyKind === 'sgxEnclaveReport') {
    throw new QuoteFormatError(
      'NOT_TDX_QUOTE',
      `this is an SGX quote (version ${quote.header.version}, TEE type 0), not a TDX quote`,
      { field: 'header.teeType', offset: QUOTE_HEADER.teeType.offset },
      { hint: 'obtain the quote from a TD (configfs-tsm in the guest), not from an SGX enclave' },
    );
  }
  return quote;
}

function parseHeader(reader: QuoteReader): QuoteHeader {
  const { version, attestationKeyType, teeType } = readHeaderTypes(reader);
  return {
    version,
    attestationKeyType,
    teeType,
    tee: teeType === TEE_TYPE.tdx ? 'TDX' : 'SGX',
    qeSvn: reader.u16(QUOTE_HEADER.qeSvn.offset, 'header.qeSvn'),
    pceSvn: reader.u16(QUOTE_HEADER.pceSvn.offset, 'header.pceSvn'),
    qeVendorId: reader.field(0, QUOTE_HEADER.qeVendorId, 'header.qeVendorId'),
    userData: reader.field(0, QUOTE_HEADER.userData, 'header.userData'),
  };
}

/** Reads and checks the version, attestation key type and TEE type. */
function readHeaderTypes(reader: QuoteReader) {
  const unsupported = (
    code: QuoteFormatErrorCode,
    field: keyof typeof QUOTE_HEADER,
    message: string,
  ) =>
    new QuoteFormatError(code, message, {
      field: `header.${field}`,
      offset: QUOTE_HEADER[field].offset,
    });

  const version = reader.u16(QUOTE_HEADER.version.offset, 'header.version');
  if (!(Object.values(QUOTE_VERSION) as number[]).includes(version)) {
    throw unsupported(
      'QUOTE_UNSUPPORTED_VERSION',
      'version',
      `quote version ${version} at offset ${QUOTE_HEADER.version.offset} is not supported; ` +
        'the supported versions are 3 (SGX), 4 (TDX) and 5 (TDX)',
    );
  }
  const attestationKeyType = reader.u16(
    QUOTE_HEADER.attestationKeyType.offset,
    'header.attestationKeyType',
  );
  if (attestationKeyType !== ATTESTATION_KEY_TYPE_ECDSA_P256) {
    throw unsupported(
      'QUOTE_UNSUPPORTED_KEY_TYPE',
      'attestationKeyType',
      `attestation key type ${attestationKeyType} at offset ` +
        `${QUOTE_HEADER.attestationKeyType.offset} is not supported; the only ` +
        'supported type is 2 (ECDSA P-256)',
    );
  }
  const teeType = reader.u32(QUOTE_HEADER.teeType.offset, 'header.teeType');
  if (teeType !== TEE_TYPE.sgx && teeType !== TEE_TYPE.tdx) {
    throw unsupported(
      'QUOTE_UNSUPPORTED_TEE_TYPE',
      'teeType',
      `TEE type 0x${teeType.toString(16)} at offset ${QUOTE_HEADER.teeType.offset} is ` +
        'unknown; the defined types are 0x0 (SGX) and 0x81 (TDX)',
    );
  }
  if (version === QUOTE_VERSION.sgx && teeType !== TEE_TYPE.sgx) {
    throw unsupported(
      'QUOTE_UNSUPPORTED_TEE_TYPE',
      'teeType',
      'a version 3 quote must be an SGX quote (TEE type 0)',
    );
  }
  return { version, attestationKeyType, teeType };
}

interface BodyLocation {
  readonly kind: BodyKind;
  readonly bodyOffset: number;
  readonly bodySize: number;
}

const BODY_BY_TYPE: Record<number, { kind: BodyKind; size: number; teeType: number }> = {
  [BODY_TYPE.sgxEnclaveReport]: {
    kind: 'sgxEnclaveReport',
    size: ENCLAVE_REPORT_SIZE,
    teeType: TEE_TYPE.sgx,
  },
  [BODY_TYPE.tdReport10]: { kind: 'tdReport10', size: TD_REPORT_10_SIZE, teeType: TEE_TYPE.tdx },
  [BODY_TYPE.tdReport15]: { kind: 'tdReport15', size: TD_REPORT_15_SIZE, teeType: TEE_TYPE.tdx },
};

function locateBody(reader: QuoteReader, header: QuoteHeader): BodyLocation {
  if (header.version !== QUOTE_VERSION.tdx15) {
    return header.tee === 'TDX'
      ? { kind: 'tdReport10', bodyOffset: QUOTE_HEADER_SIZE, bodySize: TD_REPORT_10_SIZE }
      : { kind: 'sgxEnclaveReport', bodyOffset: QUOTE_HEADER_SIZE, bodySize: ENCLAVE_REPORT_SIZE };
  }

  const typeOffset = QUOTE_HEADER_SIZE + BODY_DESCRIPTOR.bodyType.offset;
  const sizeOffset = QUOTE_HEADER_SIZE + BODY_DESCRIPTOR.bodySize.offset;
  const bodyType = reader.u16(typeOffset, 'bodyDescriptor.bodyType');
  const bodySize = reader.u32(sizeOffset, 'bodyDescriptor.bodySize');
  const expected = BODY_BY_TYPE[bodyType];
  if (!expected) {
    throw new QuoteFormatError(
      'QUOTE_BODY_INVALID',
      `body type ${bodyType} at offset ${typeOffset} is unknown; the known types are 1 (SGX ` +
        'enclave report), 2 (TD report 1.0) and 3 (TD report 1.5)',
      { field: 'bodyDescriptor.bodyType', offset: typeOffset },
    );
  }
  if (bodySize !== expected.size) {
    throw new QuoteFormatError(
      'QUOTE_BODY_INVALID',
      `body size ${bodySize} at offset ${sizeOffset} does not match body type ${bodyType}, ` +
        `which is ${expected.size} bytes`,
      { field: 'bodyDescriptor.bodySize', offset: sizeOffset },
    );
  }
  if (expected.teeType !== header.teeType) {
    throw new QuoteFormatError(
      'QUOTE_BODY_INVALID',
      `body type ${bodyType} at offset ${typeOffset} does not match TEE type ` +
        `0x${header.teeType.toString(16)}`,
      { field: 'bodyDescriptor.bodyType', offset: typeOffset },
    );
  }
  return { kind: expected.kind, bodyOffset: QUOTE_HEADER_SIZE + BODY_DESCRIPTOR_SIZE, bodySize };
}
