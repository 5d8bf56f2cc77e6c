// A locally generated certificate hierarchy shaped like Intel's (root, PCK platform CA, PCK
// leaf, TCB signing certificate), used to re-sign real quotes and collateral in tests. Nothing
// signed here verifies unless the test passes its root as a trusted root.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { parseTdxQuote } from '../../src/attest/abi/quote.js';
import type { CollateralInput } from '../../src/attest/verify/collateral.js';
import { parseCertificate } from '../../src/attest/verify/certificate.js';
import { SGX_EXTENSION_OID } from '../../src/attest/verify/pck-extension.js';

x509.cryptoProvider.set(globalThis.crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
type KeyPair = webcrypto.CryptoKeyPair;

export interface TestIssuer {
  readonly certificate: x509.X509Certificate;
  readonly keys: KeyPair;
  readonly pem: string;
}

async function keyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as KeyPair;
}

function serial(): string {
  // A leading 0x01 keeps the serial positive and free of leading zeros.
  return `01${randomBytes(15).toString('hex')}`;
}

const VALIDITY = {
  notBefore: new Date('2020-01-01T00:00:00Z'),
  notAfter: new Date('2040-01-01T00:00:00Z'),
};

/** Generates a self-signed CA certificate with the given common name. */
export async function generateTestRoot(commonName: string): Promise<TestIssuer> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }],
    ...VALIDITY,
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  return { certificate, keys, pem: certificate.toString('pem') };
}

async function issue(
  issuer: TestIssuer,
  commonName: string,
  options: { ca: boolean; extensions?: x509.Extension[] },
): Promise<TestIssuer> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [commonName] }],
    issuer: issuer.certificate.subjectName,
    ...VALIDITY,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(options.ca, options.ca ? 0 : undefined, true),
      ...(options.extensions ?? []),
    ],
  });
  return { certificate, keys, pem: certificate.toString('pem') };
}

/** Signs with a P-256 key; WebCrypto returns the raw r‖s form that DCAP uses. */
async function signRaw(keys: KeyPair, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await webcrypto.subtle.sign(EC, keys.privateKey, data));
}

async function crl(
  issuer: TestIssuer,
  revokedSerials: readonly string[],
  thisUpdate: Date,
  nextUpdate: Date,
): Promise<Uint8Array> {
  const list = await x509.X509CrlGenerator.create({
    issuer: issuer.certificate.subjectName,
    thisUpdate,
    nextUpdate,
    entries: revokedSerials.map((serialNumber) => ({ serialNumber, revocationDate: thisUpdate })),
    signingAlgorithm: EC,
    signingKey: issuer.keys.privateKey,
  });
  return new Uint8Array(list.rawData);
}

/** Signs a CRL with the issuer name and dates of `der` by a freshly generated key. */
export async function forgeCrlLike(der: Uint8Array): Promise<Uint8Array> {
  const original = new x509.X509Crl(der);
  const keys = await keyPair();
  const list = await x509.X509CrlGenerator.create({
    issuer: original.issuerName,
    thisUpdate: original.thisUpdate,
    nextUpdate: original.nextUpdate!,
    entries: [],
    signingAlgorithm: EC,
    signingKey: keys.privateKey,
  });
  return new Uint8Array(list.rawData);
}

/** A real quote and its collateral, re-signed by a test hierarchy. */
export interface TestEvidence {
  readonly quote: Uint8Array;
  readonly collateral: CollateralInput;
  readonly rootPem: string;
  readonly pckSerial: string;
}

/**
 * Re-signs a real v4 or v5 TDX quote with a test PCK chain. The QE report gets a new signature by
 * a test PCK certificate that carries the original SGX extension. The TCB Info, QE identity and
 * both CRLs are re-signed by the test hierarchy. The attestation key and its signature over
 * the TD report stay as they are. With `revokePck`, the PCK CRL lists the test PCK certificate.
 */
export async function resignEvidence(
  quoteBytes: Uint8Array,
  documents: { tcbInfo: string; qeIdentity: string },
  options: { revokePck?: boolean; crlThisUpdate: Date; crlNextUpdate: Date },
): Promise<TestEvidence> {
  const quote = parseTdxQuote(quoteBytes);
  const originalLeaf = parseCertificate(quote.signatureData.pckCertificateChain.certificates[0]!);
  const extension = new x509.Extension(
    SGX_EXTENSION_OID,
    false,
    originalLeaf.extensions.get(SGX_EXTENSION_OID)!,
  );

  const root = await generateTestRoot('Test SGX Root CA');
  const platformCa = await issue(root, 'Test SGX PCK Platform CA', { ca: true });
  const leaf = await issue(platformCa, 'Test SGX PCK Certificate', {
    ca: false,
    extensions: [extension],
  });
  const signing = await issue(root, 'Test SGX TCB Signing', { ca: false });

  const qeSignature = await signRaw(leaf.keys, quote.signatureData.qeReport.raw);
  const chain = `${leaf.pem}\n${platformCa.pem}\n${root.pem}\n`;
  const rebuilt = rebuildQuote(quote, qeSignature, Buffer.from(chain, 'latin1'));

  const sign = async (text: string) => ({
    text,
    signature: await signRaw(signing.keys, Buffer.from(text)),
  });
  const leafSerial = leaf.certificate.serialNumber;
  const { crlThisUpdate, crlNextUpdate } = options;
  return {
    quote: rebuilt,
    rootPem: root.pem,
    pckSerial: leafSerial,
    collateral: {
      source: 'test evidence',
      tcbInfos: [await sign(documents.tcbInfo)],
      qeIdentities: [await sign(documents.qeIdentity)],
      crls: [
        await crl(root, [], crlThisUpdate, crlNextUpdate),
        await crl(platformCa, options.revokePck ? [leafSerial] : [], crlThisUpdate, crlNextUpdate),
      ],
      certificates: [signing.pem, platformCa.pem, root.pem],
    },
  };
}

/** Lays out a TDX quote again with a new QE report signature and PCK chain. */
function rebuildQuote(
  quote: ReturnType<typeof parseTdxQuote>,
  qeSignature: Uint8Array,
  chain: Uint8Array,
): Uint8Array {
  const { signatureData } = quote;
  const u16 = (value: number) => Buffer.from([value & 0xff, value >> 8]);
  const u32 = (value: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(value);
    return buffer;
  };
  const inner = Buffer.concat([u16(5), u32(chain.length), chain]);
  const qeData = Buffer.concat([
    signatureData.qeReport.raw,
    qeSignature,
    u16(signatureData.qeAuthData.length),
    signatureData.qeAuthData,
    inner,
  ]);
  const data = Buffer.concat([
    signatureData.signature,
    signatureData.attestationKey,
    u16(6),
    u32(qeData.length),
    qeData,
  ]);
  return new Uint8Array(Buffer.concat([quote.signedRegion, u32(data.length), data]));
}
