import { splitPemCertificates } from '../abi/pem.js';
import { CollateralError } from '../errors.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { parseCrl, type Crl } from './crl.js';
import { DerError } from './der.js';
import { parseQeIdentity, type QeIdentity } from './qe-identity.js';
import { decodeSignatureHex, splitSignedJson } from './signed-json.js';
import { parseTcbInfo, type TcbInfo } from './tcb-info.js';

/** A signed collateral document: the exact signed text, its signature and the parsed body. */
export interface SignedCollateral<T> {
  readonly text: string;
  readonly signature: Uint8Array;
  readonly body: T;
  readonly source: string;
}

/**
 * Everything a quote is verified against besides the trusted roots. It may hold documents for
 * several platforms (TCB Info per FMSPC, QE identities per id, CRLs per issuer), and verification
 * picks the ones that match the quote. Nothing here is trusted until verification checks its
 * signature chain to a trusted root.
 */
export interface Collateral {
  readonly tcbInfos: readonly SignedCollateral<TcbInfo>[];
  readonly qeIdentities: readonly SignedCollateral<QeIdentity>[];
  readonly crls: readonly Crl[];
  /** Issuer chains (TCB signing certificate, PCK CAs). Roots among them are not trusted. */
  readonly certificates: readonly Certificate[];
}

/**
 * A signed document as a raw PCS response body (`{"tcbInfo": {...}, "signature": "..."}`), or
 * as the signed text of the inner object with its signature (hex or 64 bytes raw r‖s).
 */
export type SignedDocumentInput =
  string | { readonly text: string; readonly signature: string | Uint8Array };

/** Raw collateral pieces, as read from files or received from an attester. */
export interface CollateralInput {
  readonly tcbInfos?: readonly SignedDocumentInput[];
  readonly qeIdentities?: readonly SignedDocumentInput[];
  /** DER CRLs: the Root CA CRL and PCK CRLs. */
  readonly crls?: readonly Uint8Array[];
  /** PEM text (any number of certificates) or DER of one certificate. */
  readonly certificates?: readonly (string | Uint8Array)[];
  /** Label for messages, such as a file name. */
  readonly source?: string;
}

/** Parses and validates raw collateral pieces; malformed input throws CollateralError. */
export function createCollateral(input: CollateralInput): Collateral {
  const source = input.source ?? 'collateral';
  return mergeCollateral([
    {
      tcbInfos: (input.tcbInfos ?? []).map((document, index) =>
        signedDocument(document, 'tcbInfo', `${source} TCB Info ${index + 1}`, parseTcbInfo),
      ),
      qeIdentities: (input.qeIdentities ?? []).map((document, index) =>
        signedDocument(
          document,
          'enclaveIdentity',
          `${source} QE identity ${index + 1}`,
          parseQeIdentity,
        ),
      ),
      crls: (input.crls ?? []).map((der, index) => parseCrl(der, `${source} CRL ${index + 1}`)),
      certificates: (input.certificates ?? []).flatMap((item, index) =>
        parseCertificates(item, `${source} certificate ${index + 1}`),
      ),
    },
  ]);
}

/**
 * Combines collateral sets. A later set's document replaces an earlier one of the same kind and
 * scope: TCB Info per TEE and FMSPC, QE identity per id, CRL per issuer. Certificates accumulate.
 */
export function mergeCollateral(sets: readonly Collateral[]): Collateral {
  const tcbInfos = new Map<string, SignedCollateral<TcbInfo>>();
  const qeIdentities = new Map<string, SignedCollateral<QeIdentity>>();
  const crls = new Map<string, Crl>();
  const certificates = new Map<string, Certificate>();
  for (const set of sets) {
    for (const item of set.tcbInfos) tcbInfos.set(`${item.body.id}:${item.body.fmspc}`, item);
    for (const item of set.qeIdentities) qeIdentities.set(item.body.id, item);
    for (const crl of set.crls) crls.set(Buffer.from(crl.issuerName).toString('hex'), crl);
    for (const certificate of set.certificates) {
      certificates.set(certificate.fingerprint, certificate);
    }
  }
  return {
    tcbInfos: [...tcbInfos.values()],
    qeIdentities: [...qeIdentities.values()],
    crls: [...crls.values()],
    certificates: [...certificates.values()],
  };
}

function signedDocument<T>(
  input: SignedDocumentInput,
  key: string,
  source: string,
  parse: (text: string, source: string) => T,
): SignedCollateral<T> {
  const { text, signature } =
    typeof input === 'string'
      ? splitSignedJson(input, key, source)
      : {
          text: input.text,
          signature:
            typeof input.signature === 'string'
              ? decodeSignatureHex(input.signature, source)
              : checkSignatureBytes(input.signature, source),
        };
  return { text, signature, body: parse(text, source), source };
}

function checkSignatureBytes(signature: Uint8Array, source: string): Uint8Array {
  if (signature.length !== 64) {
    throw new CollateralError(
      'COLLATERAL_INVALID',
      `${source} has a ${signature.length}-byte signature; raw ECDSA P-256 r‖s is 64 bytes`,
      { source },
    );
  }
  return new Uint8Array(signature);
}

/** Parses PEM text holding one or more certificates, or one DER certificate. */
export function parseCertificates(input: string | Uint8Array, source: string): Certificate[] {
  const ders = typeof input === 'string' ? splitPemCertificates(input) : [input];
  if (typeof ders === 'string') {
    throw new CollateralError('COLLATERAL_INVALID', `${source} ${ders}`, { source });
  }
  return ders.map((der) => {
    try {
      return parseCertificate(der);
    } catch (error) {
      if (!(error instanceof DerError)) throw error;
      throw new CollateralError('COLLATERAL_INVALID', `${source} is not a valid certificate`, {
        source,
        cause: error,
      });
    }
  });
}
