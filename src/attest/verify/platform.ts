import { toHex } from '../abi/describe.js';
import type { Quote } from '../abi/types.js';
import { parseCertificate } from './certificate.js';
import { DerError } from './der.js';
import { SGX_EXTENSION_OID, parsePckExtension } from './pck-extension.js';

/** FMSPC and PCK CA type that a quote's PCK certificate claims. */
export interface QuotePlatform {
  readonly fmspc: string;
  readonly caType: 'platform' | 'processor';
}

/**
 * Reads the FMSPC and CA type from a quote's PCK certificate without verifying anything, to
 * choose which collateral to load or fetch. Returns undefined when the certificate is unreadable.
 * The values are attacker-supplied until `verifyQuote` has checked the chain.
 */
export function quotePlatform(quote: Quote): QuotePlatform | undefined {
  const [leafDer, issuerDer] = quote.signatureData.pckCertificateChain.certificates;
  try {
    const leaf = parseCertificate(leafDer!);
    const value = leaf.extensions.get(SGX_EXTENSION_OID);
    if (!value || !issuerDer) return undefined;
    const issuer = parseCertificate(issuerDer);
    const caType = issuer.subjectCn.includes('Processor') ? 'processor' : 'platform';
    return { fmspc: toHex(parsePckExtension(value).fmspc), caType };
  } catch (error) {
    if (error instanceof DerError) return undefined;
    throw error;
  }
}
