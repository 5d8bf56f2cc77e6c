import { sameName, validAt, type Certificate } from './certificate.js';
import { fail, type VerificationFailureCode } from './failure.js';
import { checkSignature } from './signature-cache.js';

/** Purpose of a chain, which words its failures and bounds its length. */
export interface ChainPurpose {
  /** For messages, such as "PCK certificate chain". */
  readonly name: string;
  readonly invalidCode: VerificationFailureCode;
  readonly untrustedCode: VerificationFailureCode;
  /** Certificates from leaf to root inclusive; Intel's root allows one intermediate. */
  readonly maxLength: number;
  /** Whether earlier successful signature checks may be reused (see signature-cache.ts). */
  readonly cacheSignatures: boolean;
}

/**
 * Builds the path from `leaf` to a trusted root and checks every link: issuer name, signature by
 * the issuer's key, and that each issuer is a CA. Certificates in `pool` may complete the path but
 * are never trusted themselves; the path must end at one of `roots` (matched by SHA-256 of the
 * DER). Validity times are checked separately by `checkValidity`.
 */
export function buildChain(
  leaf: Certificate,
  pool: readonly Certificate[],
  roots: readonly Certificate[],
  purpose: ChainPurpose,
): Certificate[] {
  const path = [leaf];
  let current = leaf;
  while (!roots.some((root) => root.fingerprint === current.fingerprint)) {
    if (isSelfSigned(current)) failUntrusted(current, purpose);
    if (path.length >= purpose.maxLength) {
      fail(
        purpose.invalidCode,
        `the ${purpose.name} is longer than ${purpose.maxLength} certificates`,
      );
    }
    const issuer = findIssuer(current, [...roots, ...pool], purpose.cacheSignatures);
    if (!issuer) failUnrooted(current, purpose);
    if (!issuer.x509.ca) {
      fail(
        purpose.invalidCode,
        `"${issuer.subjectCn}" in the ${purpose.name} is not a CA certificate`,
      );
    }
    path.push(issuer);
    current = issuer;
  }
  return path;
}

function findIssuer(
  subject: Certificate,
  candidates: readonly Certificate[],
  cache: boolean,
): Certificate | undefined {
  return candidates.find(
    (candidate) =>
      candidate.fingerprint !== subject.fingerprint &&
      sameName(candidate.subjectName, subject.issuerName) &&
      checkSignature(cache, [subject.fingerprint, candidate.fingerprint], () =>
        subject.x509.verify(candidate.publicKey),
      ),
  );
}

function isSelfSigned(certificate: Certificate): boolean {
  return (
    sameName(certificate.subjectName, certificate.issuerName) &&
    certificate.x509.verify(certificate.publicKey)
  );
}

function failUntrusted(current: Certificate, purpose: ChainPurpose): never {
  fail(
    purpose.untrustedCode,
    `the ${purpose.name} ends at the self-signed "${current.subjectCn}" (SHA-256 ` +
      `${current.fingerprint}), which is not a trusted root`,
    'a root other than the Intel SGX Root CA is trusted only when passed explicitly, and only ' +
      'for test evidence',
  );
}

function failUnrooted(current: Certificate, purpose: ChainPurpose): never {
  fail(
    purpose.invalidCode,
    `no certificate available to the ${purpose.name} issued and signed "${current.subjectCn}"`,
  );
}

/** Fails with COLLATERAL_EXPIRED or COLLATERAL_NOT_YET_VALID unless every certificate is valid. */
export function checkValidity(path: readonly Certificate[], now: Date, name: string): void {
  for (const certificate of path) {
    const state = validAt(certificate, now);
    if (state === 'expired') {
      fail(
        'COLLATERAL_EXPIRED',
        `"${certificate.subjectCn}" in the ${name} expired at ${certificate.notAfter.toISOString()}`,
      );
    }
    if (state === 'not-yet-valid') {
      fail(
        'COLLATERAL_NOT_YET_VALID',
        `"${certificate.subjectCn}" in the ${name} is valid only from ` +
          certificate.notBefore.toISOString(),
      );
    }
  }
}
