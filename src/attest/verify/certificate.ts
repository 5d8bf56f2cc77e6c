import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import {
  DerError,
  TAG,
  decodeOid,
  decodeTime,
  decodeUnsignedHex,
  expectChildren,
  expectTag,
  readChildren,
  readSingle,
} from './der.js';
import { windowState, type WindowState } from './time.js';

/**
 * An X.509 certificate: node's X509Certificate for signatures and keys, plus the fields node does
 * not expose (raw names, exact validity, extension values), read from the DER.
 */
export interface Certificate {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  /** The subject public key; node builds a new KeyObject on every `x509.publicKey` read. */
  readonly publicKey: KeyObject;
  /** SHA-256 of the DER encoding, lower-case hex. */
  readonly fingerprint: string;
  /** Serial number as lower-case hex without leading zeros. */
  readonly serial: string;
  readonly subjectName: Uint8Array;
  readonly issuerName: Uint8Array;
  readonly subjectCn: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** extnValue contents keyed by dotted OID. */
  readonly extensions: ReadonlyMap<string, Uint8Array>;
}

// Parsing a certificate costs far more than hashing it, and the same intermediates, roots and
// signing certificates arrive with every quote. Entries are keyed by the SHA-256 of the exact
// bytes, so a cached entry is only ever returned for identical input.
const CACHE_SIZE = 512;
const cache = new Map<string, Certificate>();

/** Parses a DER certificate; throws DerError when it is malformed. */
export function parseCertificate(der: Uint8Array): Certificate {
  const fingerprint = createHash('sha256').update(der).digest('hex');
  const cached = cache.get(fingerprint);
  if (cached) {
    cache.delete(fingerprint);
    cache.set(fingerprint, cached);
    return cached;
  }

  const certificate = parseUncached(new Uint8Array(der), fingerprint);
  cache.set(fingerprint, certificate);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return certificate;
}

function parseUncached(der: Uint8Array, fingerprint: string): Certificate {
  const outer = readSingle(der, TAG.sequence, 'certificate');
  const [tbsTlv] = expectChildren(outer, 'certificate', 3);
  const tbs = expectChildren(expectTag(tbsTlv, TAG.sequence, 'tbsCertificate'), 'tbs', 6);
  const hasVersion = tbs[0]!.tag === TAG.context0;
  const field = (index: number) => tbs[index + (hasVersion ? 1 : 0)];

  const serial = decodeUnsignedHex(expectTag(field(0), TAG.integer, 'serialNumber').content);
  const issuerName = expectTag(field(2), TAG.sequence, 'issuer').bytes;
  const validity = readChildren(expectTag(field(3), TAG.sequence, 'validity').content);
  if (validity.length !== 2) throw new DerError('validity must hold two times');
  const subjectName = expectTag(field(4), TAG.sequence, 'subject').bytes;

  let x509: X509Certificate;
  let publicKey: KeyObject;
  try {
    x509 = new X509Certificate(der);
    publicKey = x509.publicKey;
  } catch (error) {
    throw new DerError(`certificate could not be parsed: ${(error as Error).message}`);
  }

  return {
    der,
    x509,
    publicKey,
    fingerprint,
    serial,
    subjectName,
    issuerName,
    subjectCn: commonName(x509.subject),
    notBefore: decodeTime(validity[0]!),
    notAfter: decodeTime(validity[1]!),
    extensions: readExtensions(tbs.slice(hasVersion ? 7 : 6)),
  };
}

function readExtensions(optional: readonly { tag: number; content: Uint8Array }[]) {
  const extensions = new Map<string, Uint8Array>();
  const wrapper = optional.find((tlv) => tlv.tag === TAG.context3);
  if (!wrapper) return extensions;

  const list = readSingle(wrapper.content, TAG.sequence, 'extensions');
  for (const extension of readChildren(list.content)) {
    const parts = readChildren(expectTag(extension, TAG.sequence, 'extension').content);
    const oid = decodeOid(expectTag(parts[0], TAG.oid, 'extnID').content);
    const value = expectTag(parts.at(-1), TAG.octetString, `extnValue of ${oid}`).content;
    if (extensions.has(oid)) throw new DerError(`extension ${oid} appears twice`);
    extensions.set(oid, value);
  }
  return extensions;
}

/** Returns the CN of node's multi-line distinguished name text, or '' when there is none. */
function commonName(distinguishedName: string): string {
  const line = distinguishedName.split('\n').find((entry) => entry.startsWith('CN='));
  return line === undefined ? '' : line.slice(3);
}

/** Tells whether `time` lies inside the certificate's validity period, both ends included. */
export function validAt(certificate: Certificate, time: Date): WindowState {
  return windowState(time, certificate.notBefore, certificate.notAfter);
}

/** True when the DER names are byte-identical, which is how Intel's verifier compares issuers. */
export function sameName(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
