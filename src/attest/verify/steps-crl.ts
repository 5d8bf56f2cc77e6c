import { sameName, type Certificate } from './certificate.js';
import type { StepDetails, VerifyContext } from './context.js';
import { crlSignedBy, type Crl } from './crl.js';
import { FETCH_COLLATERAL_HINT, fail } from './failure.js';
import { windowState } from './time.js';

/** The Root CA CRL must be signed by the root and current, and revoke no CA in the PCK chain. */
export function verifyRootCrl(context: VerifyContext): StepDetails {
  const path = context.pck!.path;
  const crl = rootCrlFor(context, path.at(-1)!);
  for (const certificate of path.slice(1, -1)) expectNotRevoked(crl, certificate);
  return {
    issuer: crl.issuerCn,
    thisUpdate: crl.thisUpdate.toISOString(),
    crlNumber: crl.crlNumber ?? '',
  };
}

/** The PCK CRL must come from the PCK certificate's issuer, be current, and not revoke the PCK. */
export function verifyPckCrl(context: VerifyContext): StepDetails {
  const [leaf, issuer] = context.pck!.path as [Certificate, Certificate];
  const crl = context.collateral.crls.find((candidate) =>
    sameName(candidate.issuerName, leaf.issuerName),
  );
  if (!crl) {
    fail(
      'COLLATERAL_MISSING',
      `the collateral has no PCK CRL from "${issuer.subjectCn}"`,
      FETCH_COLLATERAL_HINT,
    );
  }
  checkCrl(context, crl, issuer, 'PCK CRL');
  if (crl.revokedSerials.has(leaf.serial)) {
    fail(
      'PCK_REVOKED',
      `Intel has revoked the PCK certificate (serial ${leaf.serial}) of this platform`,
    );
  }
  context.pckCrl = crl;
  return {
    issuer: crl.issuerCn,
    thisUpdate: crl.thisUpdate.toISOString(),
    crlNumber: crl.crlNumber ?? '',
  };
}

/** Finds, checks and remembers the CRL issued by a trusted root. */
export function rootCrlFor(context: VerifyContext, root: Certificate): Crl {
  const known = context.rootCrls.get(root.fingerprint);
  if (known) return known;

  const crl = context.collateral.crls.find((candidate) =>
    sameName(candidate.issuerName, root.subjectName),
  );
  if (!crl) {
    fail(
      'COLLATERAL_MISSING',
      `the collateral has no CRL from the root "${root.subjectCn}"`,
      FETCH_COLLATERAL_HINT,
    );
  }
  checkCrl(context, crl, root, 'Root CA CRL');
  context.rootCrls.set(root.fingerprint, crl);
  return crl;
}

function checkCrl(context: VerifyContext, crl: Crl, issuer: Certificate, name: string): void {
  if (!crlSignedBy(crl, issuer, context.cacheSignatures)) {
    fail(
      'COLLATERAL_SIGNATURE_INVALID',
      `the ${name} (${crl.source}) is not signed by "${issuer.subjectCn}"`,
    );
  }
  const state = windowState(context.now, crl.thisUpdate, crl.nextUpdate);
  if (state === 'not-yet-valid') {
    fail(
      'COLLATERAL_NOT_YET_VALID',
      `the ${name} is valid only from ${crl.thisUpdate.toISOString()}`,
    );
  }
  if (state === 'expired') {
    fail(
      'COLLATERAL_EXPIRED',
      `the ${name} expired at ${crl.nextUpdate.toISOString()}`,
      FETCH_COLLATERAL_HINT,
    );
  }
  context.windows.push({
    kind: 'crl',
    item: name,
    source: crl.source,
    notBefore: crl.thisUpdate,
    notAfter: crl.nextUpdate,
  });
}

/** Fails with CA_REVOKED when the root's CRL lists `certificate`. */
export function expectNotRevoked(crl: Crl, certificate: Certificate): void {
  if (crl.revokedSerials.has(certificate.serial)) {
    fail(
      'CA_REVOKED',
      `the root has revoked "${certificate.subjectCn}" (serial ${certificate.serial})`,
    );
  }
}
