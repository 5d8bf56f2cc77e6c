// @peculiar/x509 resolves its ASN.1 helpers through tsyringe, which needs the Reflect metadata
// polyfill loaded first.
import 'reflect-metadata';
import { X509Crl } from '@peculiar/x509';
import { verify } from 'node:crypto';
import { CollateralError } from '../errors.js';
import type { Certificate } from './certificate.js';
import { checkSignature } from './signature-cache.js';
import {
  DerError,
  TAG,
  decodeOid,
  decodeUnsignedHex,
  expectChildren,
  expectTag,
  readChildren,
  readSingle,
  type Tlv,
} from './der.js';

/** ecdsa-with-SHA256, the only algorithm Intel's PCK and root CAs sign with. */
export const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const CRL_NUMBER_OID = '2.5.29.20';

/** A parsed certificate revocation list. The signature is checked by `crlSignedBy`. */
export interface Crl {
  readonly der: Uint8Array;
  /** File or bundle key the CRL came from, for messages. */
  readonly source: string;
  /** DER of the issuer Name, compared byte for byte with certificate issuers. */
  readonly issuerName: Uint8Array;
  readonly issuerCn: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly crlNumber: string | undefined;
  /** Revoked serial numbers as lower-case hex without leading zeros. */
  readonly revokedSerials: ReadonlySet<string>;
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Parses a DER CRL. @peculiar/x509 reads the dates and entries. The signed bytes and the raw
 * issuer name are cut from the DER directly, so the signature is checked over exactly the bytes
 * received.
 */
export function parseCrl(input: Uint8Array, source: string): Crl {
  const der = new Uint8Array(input);
  try {
    return parseOrThrow(der, source);
  } catch (error) {
    if (error instanceof CollateralError) throw error;
    throw new CollateralError('COLLATERAL_INVALID', `${source} is not a valid DER CRL`, {
      source,
      cause: error,
      hint: 'pass the CRL as DER bytes (or hex of them) as served by Intel PCS or a PCCS',
    });
  }
}

function parseOrThrow(der: Uint8Array, source: string): Crl {
  const outer = readSingle(der, TAG.sequence, 'CertificateList');
  const [tbsTlv, algorithmTlv, signatureTlv] = expectChildren(outer, 'CertificateList', 3);
  const tbs = expectChildren(expectTag(tbsTlv, TAG.sequence, 'tbsCertList'), 'tbsCertList', 3);
  const offset = tbs[0]!.tag === TAG.integer ? 1 : 0;
  const innerAlgorithm = algorithmOid(tbs[offset]);
  const issuerName = expectTag(tbs[offset + 1], TAG.sequence, 'issuer').bytes;

  const outerAlgorithm = algorithmOid(algorithmTlv);
  if (outerAlgorithm !== ECDSA_WITH_SHA256 || innerAlgorithm !== ECDSA_WITH_SHA256) {
    throw new CollateralError(
      'COLLATERAL_INVALID',
      `${source} is signed with algorithm ${outerAlgorithm}; Intel CRLs use ecdsa-with-SHA256`,
      { source },
    );
  }
  const bits = expectTag(signatureTlv, TAG.bitString, 'signatureValue').content;
  if (bits.length < 2 || bits[0] !== 0) throw new DerError('signatureValue has unused bits');

  const parsed = new X509Crl(der);
  if (!parsed.nextUpdate) {
    throw new CollateralError('COLLATERAL_INVALID', `${source} has no nextUpdate time`, {
      source,
    });
  }
  const revokedSerials = new Set(
    parsed.entries.map((entry) => entry.serialNumber.toLowerCase().replace(/^0+(?=.)/, '')),
  );
  return {
    der,
    source,
    issuerName,
    issuerCn: parsed.issuerName.getField('CN')[0] ?? '',
    thisUpdate: parsed.thisUpdate,
    nextUpdate: parsed.nextUpdate,
    crlNumber: crlNumber(parsed),
    revokedSerials,
    tbs: tbsTlv!.bytes,
    signature: bits.subarray(1),
  };
}

function algorithmOid(tlv: Tlv | undefined): string {
  const parts = readChildren(expectTag(tlv, TAG.sequence, 'AlgorithmIdentifier').content);
  return decodeOid(expectTag(parts[0], TAG.oid, 'algorithm').content);
}

function crlNumber(crl: X509Crl): string | undefined {
  const extension = crl.getExtension(CRL_NUMBER_OID);
  if (!extension) return undefined;
  const value = readSingle(new Uint8Array(extension.value), TAG.integer, 'CRL number');
  return decodeUnsignedHex(value.content);
}

/** True when `issuer`'s key verifies the CRL's signature. */
export function crlSignedBy(crl: Crl, issuer: Certificate, cache: boolean): boolean {
  return checkSignature(cache, [crl.tbs, crl.signature, issuer.fingerprint], () => {
    try {
      return verify('sha256', crl.tbs, issuer.publicKey, crl.signature);
    } catch {
      // A malformed DER signature makes OpenSSL throw; it is simply not a valid signature.
      return false;
    }
  });
}
