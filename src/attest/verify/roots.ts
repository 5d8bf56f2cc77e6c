import { CollateralError } from '../errors.js';
import { splitPemCertificates } from '../abi/pem.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { DerError } from './der.js';

/**
 * Intel SGX Root CA, the root of every PCK certificate chain and of the TCB signing chain. The
 * same bytes end the PCK chain of every production quote.
 */
export const INTEL_SGX_ROOT_CA_PEM = `-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----
`;

/**
 * SHA-256 of the Intel SGX Root CA's DER encoding. The root is pinned by this value, never by
 * its name: Intel's own test data contains other self-signed certificates with the same subject.
 */
export const INTEL_SGX_ROOT_CA_FINGERPRINT =
  '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3';

/** A trusted root as PEM text (one certificate) or DER bytes. */
export type TrustedRootInput = string | Uint8Array;

/** True when `certificate` is the pinned Intel SGX Root CA, compared by SHA-256 of the DER. */
export function isIntelRoot(certificate: Certificate): boolean {
  return certificate.fingerprint === INTEL_SGX_ROOT_CA_FINGERPRINT;
}

/** Returns the roots trusted when the caller names none: the pinned Intel SGX Root CA only. */
export function defaultTrustedRoots(): Certificate[] {
  const [root] = loadTrustedRoots([INTEL_SGX_ROOT_CA_PEM]);
  if (root!.fingerprint !== INTEL_SGX_ROOT_CA_FINGERPRINT) {
    throw new CollateralError('TRUST_ANCHOR_INVALID', 'the embedded Intel SGX Root CA is corrupt');
  }
  return [root!];
}

/**
 * Parses trusted root certificates; each must be a self-signed CA. Chains are then accepted only
 * when they end at one of these exact certificates (compared by SHA-256 of the DER). `sources`
 * names each input in errors, such as its file name; default "trusted root N".
 */
export function loadTrustedRoots(
  inputs: readonly TrustedRootInput[],
  sources: readonly string[] = [],
): Certificate[] {
  if (inputs.length === 0) {
    throw new CollateralError('TRUST_ANCHOR_INVALID', 'the list of trusted roots is empty', {
      hint: 'omit the option to trust the Intel SGX Root CA',
    });
  }
  return inputs.flatMap((input, index) => {
    const source = sources[index] ?? `trusted root ${index + 1}`;
    const ders = typeof input === 'string' ? splitPemCertificates(input) : [input];
    if (typeof ders === 'string') {
      throw new CollateralError('TRUST_ANCHOR_INVALID', `${source} ${ders}`, { source });
    }
    return ders.map((der) => parseRoot(der, source));
  });
}

// Roots already checked; callers such as a key broker pass the same roots with every quote.
const checkedRoots = new WeakSet<Certificate>();

function parseRoot(der: Uint8Array, source: string): Certificate {
  let root: Certificate;
  try {
    root = parseCertificate(der);
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    throw new CollateralError(
      'TRUST_ANCHOR_INVALID',
      `${source} is not a valid certificate: ${error.message}`,
      { source, cause: error, hint: 'pass the root CA certificate as PEM or DER' },
    );
  }
  if (checkedRoots.has(root)) return root;
  if (!root.x509.ca || !root.x509.checkIssued(root.x509) || !root.x509.verify(root.publicKey)) {
    throw new CollateralError(
      'TRUST_ANCHOR_INVALID',
      `${source} (${root.subjectCn}) is not a self-signed CA certificate`,
      { source },
    );
  }
  checkedRoots.add(root);
  return root;
}
