import { QuoteFormatError } from '../errors.js';
import { parseEnclaveReport } from './body.js';
import {
  CERTIFICATION_DATA_HEADER,
  CERTIFICATION_DATA_HEADER_SIZE,
  CERTIFICATION_DATA_TYPE,
  ECDSA_SIGNATURE_DATA,
  ECDSA_SIGNATURE_DATA_SIZE,
  QE_AUTH_DATA_SIZE_FIELD,
  QE_REPORT_CERTIFICATION_DATA,
  QE_REPORT_CERTIFICATION_DATA_SIZE,
  QUOTE_VERSION,
} from './layout.js';
import { parsePckCertificateChain } from './pem.js';
import type { QuoteReader } from './reader.js';
import type { EnclaveReport, PckCertificateChain, SignatureData } from './types.js';

interface QeSection {
  readonly qeReport: EnclaveReport;
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  readonly pckCertificateChain: PckCertificateChain;
  readonly end: number;
}

/**
 * Parses the ECDSA signature data of `length` bytes at `start`. The nested sizes must add up to
 * the declared sizes exactly, as in Intel's parser; a mismatch is CERTIFICATION_DATA_SIZE_MISMATCH.
 */
export function parseSignatureData(
  quote: QuoteReader,
  start: number,
  length: number,
  version: number,
): SignatureData {
  const end = start + length;
  const reader = quote.limit(end, 'signature data', 'CERTIFICATION_DATA_SIZE_MISMATCH');
  const signature = reader.field(start, ECDSA_SIGNATURE_DATA.signature, 'signatureData.signature');
  const attestationKey = reader.field(
    start,
    ECDSA_SIGNATURE_DATA.attestationKey,
    'signatureData.attestationKey',
  );
  const position = start + ECDSA_SIGNATURE_DATA_SIZE;

  // Version 3 (SGX) quotes put the QE data directly after the key; later versions wrap it in
  // certification data of type 6.
  if (version === QUOTE_VERSION.sgx) {
    const section = parseQeSection(reader, position, 'signatureData');
    expectEnd(section.end, end, 'signatureData', 'signature data');
    return {
      signature,
      attestationKey,
      certificationDataType: CERTIFICATION_DATA_TYPE.pckCertificateChain,
      ...withoutEnd(section),
    };
  }
  const section = parseQeReportCertificationData(reader, position, end);
  return {
    signature,
    attestationKey,
    certificationDataType: CERTIFICATION_DATA_TYPE.qeReportCertificationData,
    ...withoutEnd(section),
  };
}

/** Certification data type 6, which must fill the signature data up to `end` exactly. */
function parseQeReportCertificationData(
  reader: QuoteReader,
  position: number,
  end: number,
): QeSection {
  const field = 'signatureData.certificationData';
  const { dataStart, size } = readCertificationHeader(
    reader,
    position,
    field,
    CERTIFICATION_DATA_TYPE.qeReportCertificationData,
  );
  expectEnd(dataStart + size, end, `${field}.size`, 'signature data');

  const container = 'QE report certification data';
  const inner = reader.limit(dataStart + size, container, 'CERTIFICATION_DATA_SIZE_MISMATCH');
  const prefix = 'signatureData.qeReportCertificationData';
  const section = parseQeSection(inner, dataStart, prefix);
  expectEnd(section.end, dataStart + size, prefix, container);
  return section;
}

function parseQeSection(reader: QuoteReader, start: number, prefix: string): QeSection {
  const qeReport = parseEnclaveReport(reader, start, `${prefix}.qeReport`);
  const qeReportSignature = reader.field(
    start,
    QE_REPORT_CERTIFICATION_DATA.qeReportSignature,
    `${prefix}.qeReportSignature`,
  );

  const authStart = start + QE_REPORT_CERTIFICATION_DATA_SIZE;
  const authSize = reader.u16(authStart, `${prefix}.qeAuthData.size`);
  const authDataStart = authStart + QE_AUTH_DATA_SIZE_FIELD.size;
  const qeAuthData = reader.bytesAt(authDataStart, authSize, `${prefix}.qeAuthData.data`);

  const certField = `${prefix}.certificationData`;
  const { dataStart, size } = readCertificationHeader(
    reader,
    authDataStart + authSize,
    certField,
    CERTIFICATION_DATA_TYPE.pckCertificateChain,
  );
  const chainBytes = reader.bytesAt(dataStart, size, `${certField}.data`);
  const pckCertificateChain = parsePckCertificateChain(chainBytes, dataStart);
  return { qeReport, qeReportSignature, qeAuthData, pckCertificateChain, end: dataStart + size };
}

function readCertificationHeader(
  reader: QuoteReader,
  position: number,
  field: string,
  expectedType: number,
): { dataStart: number; size: number } {
  const type = reader.u16(position + CERTIFICATION_DATA_HEADER.type.offset, `${field}.type`);
  if (type !== expectedType) {
    throw new QuoteFormatError(
      'CERTIFICATION_DATA_UNSUPPORTED',
      `certification data type ${type} is not supported here; type ${expectedType} is required`,
      { field: `${field}.type`, offset: position },
      { hint: certificationHint(type) },
    );
  }
  const size = reader.u32(position + CERTIFICATION_DATA_HEADER.size.offset, `${field}.size`);
  const dataStart = position + CERTIFICATION_DATA_HEADER_SIZE;
  reader.require(dataStart, size, `${field}.data`);
  return { dataStart, size };
}

// TODO: quotes with an encrypted PPID (types 2 and 3) need the PCK certificate chain from PCS or a
// PCCS before they can be verified; they are rejected here instead.
function certificationHint(type: number): string {
  if (
    type >= CERTIFICATION_DATA_TYPE.ppidCleartext &&
    type <= CERTIFICATION_DATA_TYPE.ppidRsa3072
  ) {
    return (
      'this quote carries an encrypted or clear PPID instead of the PCK certificate chain; ' +
      'configure the quote generation service to embed the chain (certification data type 5)'
    );
  }
  return 'only quotes that embed the PCK certificate chain (certification data type 5) are supported';
}

function expectEnd(actual: number, expected: number, field: string, container: string): void {
  if (actual === expected) return;
  throw new QuoteFormatError(
    'CERTIFICATION_DATA_SIZE_MISMATCH',
    `the parsed contents end at offset ${actual}, but the ${container} declares its end at ${expected}`,
    { field, offset: actual },
  );
}

function withoutEnd(section: QeSection): Omit<QeSection, 'end'> {
  return {
    qeReport: section.qeReport,
    qeReportSignature: section.qeReportSignature,
    qeAuthData: section.qeAuthData,
    pckCertificateChain: section.pckCertificateChain,
  };
}
