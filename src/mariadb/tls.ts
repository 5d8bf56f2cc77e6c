// @peculiar/x509 resolves its ASN.1 helpers through tsyringe, which needs the Reflect metadata
// polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(globalThis.crypto);

const EC_KEY: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** Validity periods in days; 825 days is the longest that common TLS clients accept for leaves. */
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 825;

/** PEM-encoded certificates and PKCS#8 private keys for a CA, a server and a client. */
export interface TlsMaterial {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** Names the server certificate covers and the subjects of the three certificates. */
export interface TlsMaterialOptions {
  readonly caName?: string;
  readonly serverDnsNames?: readonly string[];
  readonly serverIpAddresses?: readonly string[];
  readonly clientName?: string;
  readonly now?: Date;
}

/**
 * Generates a private CA with an ECDSA P-256 key, a server certificate for the loopback names
 * and a client certificate, all signed by that CA.
 */
export async function generateTlsMaterial(options: TlsMaterialOptions = {}): Promise<TlsMaterial> {
  const now = options.now ?? new Date();
  const caName = options.caName ?? 'mariadb-tdx local CA';
  const caKeys = await generateKeyPair();

  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [caName] }],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    keys: caKeys,
    signingAlgorithm: EC_KEY,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const dnsNames = options.serverDnsNames ?? ['localhost'];
  const ipAddresses = options.serverIpAddresses ?? ['127.0.0.1', '::1'];
  const server = await issueLeaf(ca, caKeys, now, {
    commonName: dnsNames[0] ?? 'localhost',
    usage: x509.ExtendedKeyUsage.serverAuth,
    alternativeNames: [
      ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
    ],
  });
  const client = await issueLeaf(ca, caKeys, now, {
    commonName: options.clientName ?? 'mariadb-tdx admin',
    usage: x509.ExtendedKeyUsage.clientAuth,
    alternativeNames: [],
  });

  return {
    caCert: ca.toString('pem'),
    caKey: await exportPrivateKey(caKeys.privateKey),
    serverCert: server.cert.toString('pem'),
    serverKey: await exportPrivateKey(server.keys.privateKey),
    clientCert: client.cert.toString('pem'),
    clientKey: await exportPrivateKey(client.keys.privateKey),
  };
}

interface LeafRequest {
  readonly commonName: string;
  readonly usage: string;
  readonly alternativeNames: { type: 'dns' | 'ip'; value: string }[];
}

async function issueLeaf(
  ca: x509.X509Certificate,
  caKeys: CryptoKeyPair,
  now: Date,
  request: LeafRequest,
) {
  const keys = await generateKeyPair();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([request.usage], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca, false),
  ];
  if (request.alternativeNames.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(request.alternativeNames, false));
  }

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [request.commonName] }],
    issuer: ca.subjectName,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC_KEY,
    extensions,
  });
  return { cert, keys };
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

// A positive 128-bit serial: the top bit is cleared so DER does not need a leading zero byte.
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** Summary of a PEM certificate for status output. */
export interface CertificateSummary {
  readonly subject: string;
  readonly notAfter: Date;
  readonly fingerprint256: string;
}

/** Reads the subject, expiry and SHA-256 fingerprint of a PEM certificate. */
export function summarizeCertificate(pem: string): CertificateSummary {
  const cert = new X509Certificate(pem);
  return {
    subject: cert.subject,
    notAfter: new Date(cert.validTo),
    fingerprint256: cert.fingerprint256,
  };
}
