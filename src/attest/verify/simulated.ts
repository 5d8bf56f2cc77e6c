import type { Quote } from '../abi/types.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { DerError } from './der.js';

/**
 * Start of the subject CN of every certificate that `simulate td` generates. No Intel
 * certificate carries it, so it marks evidence from a simulated TD even when its chain does not
 * verify.
 */
export const SIMULATED_SUBJECT_PREFIX = 'mariadb-tdx SIMULATED ';

/** True when the certificate was made by the TD simulator. */
export function isSimulatedCertificate(certificate: Certificate): boolean {
  return certificate.subjectCn.startsWith(SIMULATED_SUBJECT_PREFIX);
}

/**
 * True when a certificate of the quote's PCK chain comes from the TD simulator. The marker only
 * ever adds a SIMULATED warning to reports; trust still comes from the chain to a trusted root.
 */
export function hasSimulatedPckChain(quote: Quote): boolean {
  return quote.signatureData.pckCertificateChain.certificates.some((der) => {
    try {
      return isSimulatedCertificate(parseCertificate(der));
    } catch (error) {
      if (error instanceof DerError) return false;
      throw error;
    }
  });
}
