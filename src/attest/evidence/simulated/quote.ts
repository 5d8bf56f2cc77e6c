import { createHash, sign, type KeyObject } from 'node:crypto';
import {
  ATTESTATION_KEY_TYPE_ECDSA_P256,
  CERTIFICATION_DATA_HEADER,
  CERTIFICATION_DATA_HEADER_SIZE,
  CERTIFICATION_DATA_TYPE,
  ECDSA_SIGNATURE_DATA,
  ECDSA_SIGNATURE_DATA_SIZE,
  ENCLAVE_REPORT,
  ENCLAVE_REPORT_SIZE,
  INTEL_QE_VENDOR_ID,
  QE_AUTH_DATA_SIZE_FIELD,
  QE_REPORT_CERTIFICATION_DATA,
  QE_REPORT_CERTIFICATION_DATA_SIZE,
  QUOTE_HEADER,
  QUOTE_HEADER_SIZE,
  QUOTE_VERSION,
  SIGNATURE_DATA_LENGTH_FIELD,
  TD_REPORT_10,
  TD_REPORT_10_SIZE,
  TEE_TYPE,
  type FieldSpec,
} from '../../abi/layout.js';

/** Measured fields of the simulated TD, as raw bytes in quote order. */
export interface SimulatedTdBody {
  readonly teeTcbSvn: Buffer;
  readonly mrSeam: Buffer;
  readonly mrSignerSeam: Buffer;
  readonly seamAttributes: Buffer;
  readonly tdAttributes: Buffer;
  readonly xfam: Buffer;
  readonly mrTd: Buffer;
  readonly mrConfigId: Buffer;
  readonly mrOwner: Buffer;
  readonly mrOwnerConfig: Buffer;
  readonly rtmr0: Buffer;
  readonly rtmr1: Buffer;
  readonly rtmr2: Buffer;
  readonly rtmr3: Buffer;
}

/** The simulated quoting enclave: its identity, keys and certificate chain. */
export interface SimulatedQuotingEnclave {
  readonly qeId: Buffer;
  readonly mrSigner: Buffer;
  readonly mrEnclave: Buffer;
  readonly attributes: Buffer;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly attestationKey: KeyObject;
  readonly pckKey: KeyObject;
  /** PEM of the PCK leaf, the PCK Platform CA and the root, in that order. */
  readonly pckChainPem: string;
}

// QE authentication data is 32 bytes in every Intel quote.
const QE_AUTH_DATA_SIZE = 32;

/**
 * Builds a TDX v4 quote with the real layout: the header, a TD report body 1.0 carrying
 * `reportData`, and the attestation key's signature. QE report certification data (type 6)
 * follows, with the QE report signed by the PCK key, the QE authentication data and the PCK
 * chain (type 5).
 */
export function buildSimulatedQuote(
  body: SimulatedTdBody,
  qe: SimulatedQuotingEnclave,
  reportData: Buffer,
): Buffer {
  const header = buildHeader(qe);
  const tdReport = buildTdReport(body, reportData);
  const signedRegion = Buffer.concat([header, tdReport]);

  const attestationKey = rawPublicKey(qe.attestationKey);
  const qeAuthData = createHash('sha256').update(qe.qeId).digest().subarray(0, QE_AUTH_DATA_SIZE);
  const certificationData = buildQeCertificationData(qe, attestationKey, qeAuthData);

  const ecdsa = Buffer.alloc(ECDSA_SIGNATURE_DATA_SIZE);
  put(ecdsa, ECDSA_SIGNATURE_DATA.signature, signP256(qe.attestationKey, signedRegion));
  put(ecdsa, ECDSA_SIGNATURE_DATA.attestationKey, attestationKey);
  const signatureData = Buffer.concat([
    ecdsa,
    certificationHeader(
      CERTIFICATION_DATA_TYPE.qeReportCertificationData,
      certificationData.length,
    ),
    certificationData,
  ]);

  const length = Buffer.alloc(SIGNATURE_DATA_LENGTH_FIELD.size);
  length.writeUInt32LE(signatureData.length);
  return Buffer.concat([signedRegion, length, signatureData]);
}

function buildHeader(qe: SimulatedQuotingEnclave): Buffer {
  const header = Buffer.alloc(QUOTE_HEADER_SIZE);
  header.writeUInt16LE(QUOTE_VERSION.tdx10, QUOTE_HEADER.version.offset);
  header.writeUInt16LE(ATTESTATION_KEY_TYPE_ECDSA_P256, QUOTE_HEADER.attestationKeyType.offset);
  header.writeUInt32LE(TEE_TYPE.tdx, QUOTE_HEADER.teeType.offset);
  put(header, QUOTE_HEADER.qeVendorId, Buffer.from(INTEL_QE_VENDOR_ID, 'hex'));
  // Intel's QE puts its QE ID in the first 16 bytes of the user data.
  put(header, QUOTE_HEADER.userData, qe.qeId);
  return header;
}

function buildTdReport(body: SimulatedTdBody, reportData: Buffer): Buffer {
  const report = Buffer.alloc(TD_REPORT_10_SIZE);
  for (const name of Object.keys(body) as (keyof SimulatedTdBody)[]) {
    put(report, TD_REPORT_10[name], body[name]);
  }
  put(report, TD_REPORT_10.reportData, reportData);
  return report;
}

function buildQeCertificationData(
  qe: SimulatedQuotingEnclave,
  attestationKey: Buffer,
  qeAuthData: Buffer,
): Buffer {
  // The QE binds the attestation key: REPORTDATA = SHA-256(attestation key ‖ QE auth data).
  const qeReport = Buffer.alloc(ENCLAVE_REPORT_SIZE);
  put(qeReport, ENCLAVE_REPORT.attributes, qe.attributes);
  put(qeReport, ENCLAVE_REPORT.mrEnclave, qe.mrEnclave);
  put(qeReport, ENCLAVE_REPORT.mrSigner, qe.mrSigner);
  qeReport.writeUInt16LE(qe.isvProdId, ENCLAVE_REPORT.isvProdId.offset);
  qeReport.writeUInt16LE(qe.isvSvn, ENCLAVE_REPORT.isvSvn.offset);
  const binding = createHash('sha256').update(attestationKey).update(qeAuthData).digest();
  put(qeReport, ENCLAVE_REPORT.reportData, binding);

  const fixed = Buffer.alloc(QE_REPORT_CERTIFICATION_DATA_SIZE);
  put(fixed, QE_REPORT_CERTIFICATION_DATA.qeReport, qeReport);
  put(fixed, QE_REPORT_CERTIFICATION_DATA.qeReportSignature, signP256(qe.pckKey, qeReport));

  const authSize = Buffer.alloc(QE_AUTH_DATA_SIZE_FIELD.size);
  authSize.writeUInt16LE(qeAuthData.length);
  // Intel's chains end in one NUL byte that the declared size counts.
  const chain = Buffer.concat([Buffer.from(qe.pckChainPem, 'utf8'), Buffer.from([0])]);
  return Buffer.concat([
    fixed,
    authSize,
    qeAuthData,
    certificationHeader(CERTIFICATION_DATA_TYPE.pckCertificateChain, chain.length),
    chain,
  ]);
}

function certificationHeader(type: number, size: number): Buffer {
  const header = Buffer.alloc(CERTIFICATION_DATA_HEADER_SIZE);
  header.writeUInt16LE(type, CERTIFICATION_DATA_HEADER.type.offset);
  header.writeUInt32LE(size, CERTIFICATION_DATA_HEADER.size.offset);
  return header;
}

function put(target: Buffer, field: FieldSpec, value: Buffer) {
  value.copy(target, field.offset, 0, Math.min(value.length, field.size));
}

function signP256(key: KeyObject, data: Buffer): Buffer {
  return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
}

/** Returns the raw x‖y of a P-256 key's public part, the form quotes use for attestation keys. */
function rawPublicKey(privateKey: KeyObject): Buffer {
  const jwk = privateKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}
