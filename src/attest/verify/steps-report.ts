import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { toHex } from '../abi/describe.js';
import type { TdxQuote } from '../abi/types.js';
import type { StepDetails, VerifyContext } from './context.js';
import { fail } from './failure.js';
import { rawSignatureValid } from './steps-collateral.js';
import { findModuleIdentity } from './tcb-info.js';
import { matchQeLevel } from './tcb-status.js';

/**
 * Checks that Intel's TDX module produced the TD report. MRSIGNERSEAM must equal the signer of
 * the module identity selected by TEE_TCB_SVN[1], or of the base module when that byte is 0.
 * SEAMATTRIBUTES must be zero and equal to the identity's attributes; like Intel's QVL, no mask
 * is applied.
 */
export function verifyTdxModule(context: VerifyContext): StepDetails {
  const body = (context.quote as TdxQuote).body;
  const tcbInfo = context.tcbInfo!.body;
  const version = body.teeTcbSvn[1]!;
  let expected = tcbInfo.tdxModule!;
  let identityId = 'base tdxModule';
  if (version > 0) {
    const identity = findModuleIdentity(tcbInfo, version);
    if (!identity) {
      fail(
        'TDX_MODULE_MISMATCH',
        `the TCB Info has no identity TDX_${hex2(version)} for TDX module version ${version}`,
      );
    }
    context.moduleIdentity = identity;
    expected = identity;
    identityId = identity.id;
  }

  if (!equal(body.mrSignerSeam, expected.mrSigner)) {
    fail(
      'TDX_MODULE_MISMATCH',
      `MRSIGNERSEAM ${toHex(body.mrSignerSeam)} is not the signer ${toHex(expected.mrSigner)} ` +
        `of ${identityId}`,
    );
  }
  if (
    body.seamAttributes.some((byte) => byte !== 0) ||
    !equal(body.seamAttributes, expected.attributes)
  ) {
    fail('TDX_MODULE_MISMATCH', `SEAMATTRIBUTES ${toHex(body.seamAttributes)} must be zero`);
  }
  return { identity: identityId, moduleVersion: version, moduleIsvSvn: body.teeTcbSvn[0]! };
}

/** The QE report must be signed by the PCK certificate's key. */
export function verifyQeReportSignature(context: VerifyContext): StepDetails {
  const { qeReport, qeReportSignature } = context.quote.signatureData;
  const leaf = context.pck!.path[0]!;
  if (!rawSignatureValid(leaf, qeReport.raw, qeReportSignature, context.cacheSignatures)) {
    fail('QE_REPORT_SIGNATURE_INVALID', 'the QE report signature does not verify with the PCK key');
  }
  return {};
}

/**
 * The QE binds the attestation key to its report: REPORTDATA[0..32] must be SHA-256 of the
 * attestation key followed by the QE authentication data, and REPORTDATA[32..64] zero.
 */
export function verifyQeReportData(context: VerifyContext): StepDetails {
  const { attestationKey, qeAuthData, qeReport } = context.quote.signatureData;
  const digest = createHash('sha256').update(attestationKey).update(qeAuthData).digest();
  const reportData = qeReport.reportData;
  if (
    !equal(reportData.subarray(0, 32), digest) ||
    reportData.subarray(32).some((byte) => byte !== 0)
  ) {
    fail(
      'QE_REPORT_DATA_MISMATCH',
      'the QE report data is not SHA-256(attestation key ‖ QE authentication data) followed by zeros',
    );
  }
  return { attestationKeyHash: digest.toString('hex') };
}

/** The QE report must match the QE identity, which also gives the QE's TCB level. */
export function verifyQeIdentityMatch(context: VerifyContext): StepDetails {
  const identity = context.qeIdentity!.body;
  const report = context.quote.signatureData.qeReport;
  if (!equal(mask(report.miscSelect, identity.miscSelectMask), identity.miscSelect)) {
    fail(
      'QE_IDENTITY_MISMATCH',
      `QE MISCSELECT ${toHex(report.miscSelect)} does not match the QE identity`,
    );
  }
  if (!equal(mask(report.attributes, identity.attributesMask), identity.attributes)) {
    fail(
      'QE_IDENTITY_MISMATCH',
      `QE ATTRIBUTES ${toHex(report.attributes)} do not match the QE identity`,
    );
  }
  if (!equal(report.mrSigner, identity.mrSigner)) {
    fail('QE_IDENTITY_MISMATCH', `QE MRSIGNER ${toHex(report.mrSigner)} is not Intel's QE signer`);
  }
  if (report.isvProdId !== identity.isvProdId) {
    fail('QE_IDENTITY_MISMATCH', `QE ISVPRODID ${report.isvProdId} is not ${identity.isvProdId}`);
  }

  const level = matchQeLevel(identity.tcbLevels, report.isvSvn);
  if (!level) {
    fail('TCB_NOT_SUPPORTED', `QE ISVSVN ${report.isvSvn} is below every level of the QE identity`);
  }
  context.qeLevel = level;
  return { qeIsvSvn: report.isvSvn, qeStatus: level.status, qeTcbDate: level.tcbDate };
}

/** The attestation key must sign the header and body. */
export function verifyQuoteSignature(context: VerifyContext): StepDetails {
  const { attestationKey, signature } = context.quote.signatureData;
  const key = attestationPublicKey(attestationKey);
  let valid: boolean;
  try {
    valid = verify(
      'sha256',
      context.quote.signedRegion,
      { key, dsaEncoding: 'ieee-p1363' },
      signature,
    );
  } catch {
    valid = false;
  }
  if (!valid)
    fail('QUOTE_SIGNATURE_INVALID', 'the quote signature does not verify with the attestation key');
  return { signedBytes: context.quote.signedRegion.length };
}

// DER SubjectPublicKeyInfo header for an uncompressed P-256 point (id-ecPublicKey, prime256v1).
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

// Importing a key validates the point, which costs about as much as a signature check. A QE
// keeps its attestation key across quotes, so keys are kept by their exact bytes.
const KEY_CACHE_SIZE = 256;
const keyCache = new Map<string, KeyObject>();

function attestationPublicKey(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw).toString('hex');
  const cached = keyCache.get(id);
  if (cached) return cached;

  let key: KeyObject;
  try {
    const spki = Buffer.concat([P256_SPKI_PREFIX, Buffer.from([0x04]), raw]);
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    fail('ATTESTATION_KEY_INVALID', 'the attestation key is not a point on the P-256 curve');
  }
  keyCache.set(id, key);
  if (keyCache.size > KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  return key;
}

function mask(value: Uint8Array, bits: Uint8Array): Uint8Array {
  return value.map((byte, i) => byte & (bits[i] ?? 0));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0').toUpperCase();
}
