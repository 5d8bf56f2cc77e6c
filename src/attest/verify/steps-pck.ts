import { toHex } from '../abi/describe.js';
import { INTEL_QE_VENDOR_ID } from '../abi/layout.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { buildChain, checkValidity } from './chain.js';
import type { StepDetails, VerifyContext } from './context.js';
import { DerError } from './der.js';
import { fail } from './failure.js';
import { SGX_EXTENSION_OID, parsePckExtension, type PckExtension } from './pck-extension.js';

/** The QE must be Intel's: other vendors' QEs are not covered by Intel's collateral. */
export function checkHeader(context: VerifyContext): StepDetails {
  const vendor = toHex(context.quote.header.qeVendorId);
  if (vendor !== INTEL_QE_VENDOR_ID) {
    fail('QE_VENDOR_UNKNOWN', `QE vendor ID ${vendor} is not Intel's (${INTEL_QE_VENDOR_ID})`);
  }
  return {
    version: context.quote.header.version,
    tee: context.quote.header.tee,
    qeVendorId: vendor,
  };
}

/**
 * The PCK chain in the quote must lead from an "SGX PCK Certificate" through an "SGX PCK
 * Platform CA" or "SGX PCK Processor CA" to a trusted root, and carry Intel's SGX extension.
 */
export function verifyPckChain(context: VerifyContext): StepDetails {
  const certificates = context.quote.signatureData.pckCertificateChain.certificates.map(
    (der, index) => parseQuoteCertificate(der, index),
  );
  const leaf = certificates[0]!;
  if (!leaf.subjectCn.includes('SGX PCK Certificate')) {
    fail(
      'PCK_CERTIFICATE_INVALID',
      `the first certificate is "${leaf.subjectCn}", not a PCK certificate`,
    );
  }
  const path = pckPath(context, certificates);
  const caType = pckCaType(path);
  checkValidity(path, context.now, 'PCK certificate chain');
  for (const certificate of path) recordCertificate(context, certificate, 'PCK certificate chain');

  const extension = readPckExtension(leaf);
  context.pck = { path, extension, caType };
  return {
    pckSubject: leaf.subjectCn,
    pckSerial: leaf.serial,
    issuer: path[1]!.subjectCn,
    root: path[2]!.subjectCn,
    rootFingerprint: path[2]!.fingerprint,
    fmspc: toHex(extension.fmspc),
    pceId: toHex(extension.pceId),
  };
}

/**
 * Builds the path from the PCK certificate to a trusted root. Intel's verifier compares the quote's
 * chain with the trusted chain, so a certificate in the quote that the path does not use (such
 * as a damaged copy of the root) fails verification too.
 */
function pckPath(context: VerifyContext, certificates: readonly Certificate[]): Certificate[] {
  const path = buildChain(certificates[0]!, certificates.slice(1), context.roots, {
    name: 'PCK certificate chain',
    invalidCode: 'PCK_CHAIN_INVALID',
    untrustedCode: 'PCK_CHAIN_UNTRUSTED',
    maxLength: 3,
    cacheSignatures: context.cacheSignatures,
  });
  const used = new Set(path.map((certificate) => certificate.fingerprint));
  const unused = certificates.findIndex((certificate) => !used.has(certificate.fingerprint));
  if (unused >= 0) {
    fail(
      'PCK_CHAIN_INVALID',
      `certificate ${unused + 1} of the PCK chain ("${certificates[unused]!.subjectCn}") is not ` +
        'part of the path to the trusted root',
    );
  }
  return path;
}

function parseQuoteCertificate(der: Uint8Array, index: number): Certificate {
  try {
    return parseCertificate(der);
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    fail(
      'PCK_CHAIN_INVALID',
      `certificate ${index + 1} of the PCK chain is malformed: ${error.message}`,
    );
  }
}

function pckCaType(path: readonly Certificate[]): 'platform' | 'processor' {
  const issuer = path[1];
  if (path.length !== 3 || !issuer) {
    fail('PCK_CHAIN_INVALID', 'the PCK certificate must be issued by an intermediate PCK CA');
  }
  if (issuer.subjectCn.includes('SGX PCK Platform CA')) return 'platform';
  if (issuer.subjectCn.includes('SGX PCK Processor CA')) return 'processor';
  fail('PCK_CHAIN_INVALID', `the PCK certificate issuer "${issuer.subjectCn}" is not a PCK CA`);
}

function readPckExtension(leaf: Certificate): PckExtension {
  const curve = leaf.publicKey.asymmetricKeyDetails?.namedCurve;
  if (curve !== 'prime256v1') {
    fail('PCK_CERTIFICATE_INVALID', `the PCK key is not on P-256 (${curve})`);
  }
  const value = leaf.extensions.get(SGX_EXTENSION_OID);
  if (!value) fail('PCK_CERTIFICATE_INVALID', 'the PCK certificate has no SGX extension');
  try {
    return parsePckExtension(value);
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    fail(
      'PCK_CERTIFICATE_INVALID',
      `the PCK certificate's SGX extension is malformed: ${error.message}`,
    );
  }
}

export function recordCertificate(context: VerifyContext, certificate: Certificate, chain: string) {
  context.windows.push({
    kind: 'certificate',
    item: `${chain}: ${certificate.subjectCn}`,
    source: `SHA-256 ${certificate.fingerprint}`,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  });
}
