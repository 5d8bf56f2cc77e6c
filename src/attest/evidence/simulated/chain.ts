// @peculiar/x509 resolves its ASN.1 helpers through tsyringe, which needs the Reflect metadata
// polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { SIMULATED_SUBJECT_PREFIX } from '../../verify/simulated.js';
import { encodeSgxExtension, SGX_EXTENSION_OID, type SgxExtensionValues } from './sgx-extension.js';

x509.cryptoProvider.set(globalThis.crypto);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC_KEY: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};
const DAY_MS = 24 * 60 * 60 * 1000;
const CERTIFICATE_DAYS = 3650;
/** Intel issues CRLs for 30 days; the simulation does the same. */
export const SIMULATED_CRL_DAYS = 30;

/**
 * Subject names. Each starts with SIMULATED_SUBJECT_PREFIX, which reports use to mark simulated
 * evidence, and contains the words a verifier looks for ("SGX PCK Certificate", "SGX PCK
 * Platform CA", "SGX TCB Signing"), so the chain takes the same path through verification as
 * Intel's.
 */
export const SIMULATED_NAMES = {
  root: `${SIMULATED_SUBJECT_PREFIX}SGX Root CA`,
  platformCa: `${SIMULATED_SUBJECT_PREFIX}SGX PCK Platform CA`,
  pck: `${SIMULATED_SUBJECT_PREFIX}SGX PCK Certificate`,
  tcbSigning: `${SIMULATED_SUBJECT_PREFIX}SGX TCB Signing`,
} as const;

/** A generated certificate with its key pair. */
export interface IssuedCertificate {
  readonly certificate: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

/** The test PKI of a simulated platform. */
export interface SimulatedChain {
  readonly root: IssuedCertificate;
  readonly platformCa: IssuedCertificate;
  readonly pck: IssuedCertificate;
  readonly tcbSigning: IssuedCertificate;
  readonly rootCrl: x509.X509Crl;
  readonly pckCrl: x509.X509Crl;
}

/** Generates the test root, PCK chain, TCB signing certificate and both CRLs. */
export async function generateSimulatedChain(
  platform: SgxExtensionValues,
  now: Date,
): Promise<SimulatedChain> {
  const root = await selfSigned(now);
  const platformCa = await issue(root, now, {
    name: SIMULATED_NAMES.platformCa,
    ca: true,
    extensions: [],
  });
  const pck = await issue(platformCa, now, {
    name: SIMULATED_NAMES.pck,
    ca: false,
    extensions: [new x509.Extension(SGX_EXTENSION_OID, false, encodeSgxExtension(platform))],
  });
  const tcbSigning = await issue(root, now, {
    name: SIMULATED_NAMES.tcbSigning,
    ca: false,
    extensions: [],
  });

  return {
    root,
    platformCa,
    pck,
    tcbSigning,
    rootCrl: await emptyCrl(root, now),
    pckCrl: await emptyCrl(platformCa, now),
  };
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function selfSigned(now: Date): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [SIMULATED_NAMES.root] }],
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + CERTIFICATE_DAYS * DAY_MS),
    keys,
    signingAlgorithm: EC_KEY,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys };
}

interface IssueRequest {
  readonly name: string;
  readonly ca: boolean;
  readonly extensions: x509.Extension[];
}

async function issue(
  issuer: IssuedCertificate,
  now: Date,
  request: IssueRequest,
): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const usage = request.ca
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
    : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [request.name] }],
    issuer: issuer.certificate.subjectName,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + CERTIFICATE_DAYS * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: EC_KEY,
    extensions: [
      new x509.BasicConstraintsExtension(request.ca, request.ca ? 0 : undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate, false),
      ...request.extensions,
    ],
  });
  return { certificate, keys };
}

/** Creates an empty CRL of `issuer`, valid from a day ago for {@link SIMULATED_CRL_DAYS} days. */
export async function emptyCrl(issuer: IssuedCertificate, now: Date): Promise<x509.X509Crl> {
  return x509.X509CrlGenerator.create({
    issuer: issuer.certificate.subjectName,
    thisUpdate: new Date(now.getTime() - DAY_MS),
    nextUpdate: new Date(now.getTime() + SIMULATED_CRL_DAYS * DAY_MS),
    entries: [],
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: EC_KEY,
  });
}

// A positive 128-bit serial: the top bit is cleared so DER does not need a leading zero byte.
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** Exports a private key as PKCS#8 PEM. */
export async function exportPrivateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}
