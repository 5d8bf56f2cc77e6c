import { verify } from 'node:crypto';
import { toHex } from '../abi/describe.js';
import { validAt, type Certificate } from './certificate.js';
import { buildChain, checkValidity } from './chain.js';
import type { SignedCollateral } from './collateral.js';
import type { StepDetails, VerifyContext } from './context.js';
import { FETCH_COLLATERAL_HINT, fail } from './failure.js';
import { checkSignature } from './signature-cache.js';
import { expectNotRevoked, rootCrlFor } from './steps-crl.js';
import { recordCertificate } from './steps-pck.js';
import { windowState } from './time.js';

/**
 * TCB Info for the quote's TEE and the PCK certificate's FMSPC, signed through the TCB signing
 * chain, current, and for the same PCE ID.
 */
export function verifyTcbInfo(context: VerifyContext): StepDetails {
  const { extension } = context.pck!;
  const tee = context.quote.header.tee;
  const fmspc = toHex(extension.fmspc);
  const available = context.collateral.tcbInfos;
  if (available.length === 0)
    fail('COLLATERAL_MISSING', 'the collateral has no TCB Info', FETCH_COLLATERAL_HINT);

  // TCB Info for another FMSPC or TEE is collateral for another platform: for this quote it is
  // missing, which makes the input unusable rather than the quote bad.
  const document = available.find((item) => item.body.id === tee && item.body.fmspc === fmspc);
  if (!document) {
    const present = available.map((item) => `${item.body.id} ${item.body.fmspc}`).join(', ');
    fail(
      'COLLATERAL_MISSING',
      `the collateral has no ${tee} TCB Info for FMSPC ${fmspc} (it has: ${present})`,
      FETCH_COLLATERAL_HINT,
    );
  }
  const pceId = toHex(extension.pceId);
  if (document.body.pceId !== pceId) {
    fail(
      'TCB_INFO_MISMATCH',
      `the TCB Info is for PCE ID ${document.body.pceId}, the PCK for ${pceId}`,
    );
  }

  verifySignedDocument(context, document, 'TCB Info');
  context.tcbInfo = document;
  return {
    fmspc,
    id: document.body.id,
    version: document.body.version,
    issueDate: document.body.issueDate.toISOString(),
    nextUpdate: document.body.nextUpdate.toISOString(),
    tcbEvaluationDataNumber: document.body.tcbEvaluationDataNumber,
  };
}

/** Checks the QE identity for the quote's TEE (TD_QE for TDX, QE for SGX): signed and current. */
export function verifyQeIdentity(context: VerifyContext): StepDetails {
  const expectedId = context.quote.header.tee === 'TDX' ? 'TD_QE' : 'QE';
  const available = context.collateral.qeIdentities;
  if (available.length === 0)
    fail('COLLATERAL_MISSING', 'the collateral has no QE identity', FETCH_COLLATERAL_HINT);

  const document = available.find((item) => item.body.id === expectedId);
  if (!document) {
    const present = available.map((item) => item.body.id).join(', ');
    fail(
      'COLLATERAL_MISSING',
      `the collateral has no ${expectedId} identity for this ${context.quote.header.tee} quote ` +
        `(it has: ${present})`,
      FETCH_COLLATERAL_HINT,
    );
  }
  verifySignedDocument(context, document, 'QE identity');
  context.qeIdentity = document;
  return {
    id: document.body.id,
    issueDate: document.body.issueDate.toISOString(),
    nextUpdate: document.body.nextUpdate.toISOString(),
    tcbEvaluationDataNumber: document.body.tcbEvaluationDataNumber,
  };
}

/**
 * Checks a TCB Info or QE identity: its raw r‖s signature over the exact signed text, by an
 * "SGX TCB Signing" certificate that chains to a trusted root and that the root's CRL does not
 * revoke, and its issueDate..nextUpdate window.
 */
function verifySignedDocument(
  context: VerifyContext,
  document: SignedCollateral<{ issueDate: Date; nextUpdate: Date }>,
  name: string,
): void {
  const signer = findSigner(context, document, name);
  // The TCB Info and the QE identity share one signing certificate; its chain is checked once.
  if (!context.checkedSigners.has(signer.fingerprint)) {
    const path = buildChain(signer, context.collateral.certificates, context.roots, {
      name: 'TCB signing chain',
      invalidCode: 'TCB_SIGNING_CHAIN_INVALID',
      untrustedCode: 'TCB_SIGNING_CHAIN_INVALID',
      maxLength: 2,
      cacheSignatures: context.cacheSignatures,
    });
    checkValidity(path, context.now, 'TCB signing chain');
    expectNotRevoked(rootCrlFor(context, path.at(-1)!), signer);
    recordCertificate(context, signer, 'TCB signing chain');
    context.checkedSigners.add(signer.fingerprint);
  }

  const { issueDate, nextUpdate } = document.body;
  const state = windowState(context.now, issueDate, nextUpdate);
  if (state === 'not-yet-valid') {
    fail('COLLATERAL_NOT_YET_VALID', `the ${name} is valid only from ${issueDate.toISOString()}`);
  }
  if (state === 'expired') {
    fail(
      'COLLATERAL_EXPIRED',
      `the ${name} expired at ${nextUpdate.toISOString()}`,
      FETCH_COLLATERAL_HINT,
    );
  }
  context.windows.push({
    kind: 'document',
    item: name,
    source: document.source,
    notBefore: issueDate,
    notAfter: nextUpdate,
  });
}

/**
 * Finds the TCB signing certificate whose key verifies the document. Intel re-issued that certificate
 * in 2025 with the same key, so several may verify; one valid at the verification time wins.
 */
function findSigner(
  context: VerifyContext,
  document: SignedCollateral<unknown>,
  name: string,
): Certificate {
  const candidates = context.collateral.certificates.filter((certificate) =>
    certificate.subjectCn.includes('SGX TCB Signing'),
  );
  if (candidates.length === 0) {
    fail(
      'COLLATERAL_MISSING',
      `the collateral has no "SGX TCB Signing" certificate for the ${name}`,
    );
  }

  const text = Buffer.from(document.text, 'utf8');
  const signers = candidates.filter((certificate) =>
    rawSignatureValid(certificate, text, document.signature, context.cacheSignatures),
  );
  if (signers.length === 0) {
    fail(
      'COLLATERAL_SIGNATURE_INVALID',
      `the ${name} signature (${document.source}) does not verify with any TCB signing certificate`,
    );
  }
  return (
    signers.find((certificate) => validAt(certificate, context.now) === 'valid') ?? signers[0]!
  );
}

/** Verifies a raw r‖s ECDSA P-256 signature with SHA-256. */
export function rawSignatureValid(
  certificate: Certificate,
  data: Uint8Array,
  signature: Uint8Array,
  cache: boolean,
): boolean {
  return checkSignature(cache, [data, signature, certificate.fingerprint], () => {
    try {
      const key = { key: certificate.publicKey, dsaEncoding: 'ieee-p1363' } as const;
      return verify('sha256', data, key, signature);
    } catch {
      return false;
    }
  });
}
