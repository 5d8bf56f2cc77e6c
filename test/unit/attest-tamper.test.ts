import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { collateralFromBundle } from '../../src/attest/collateral/bundle.js';
import { QUOTE_HEADER, TD_REPORT_15, ENCLAVE_REPORT } from '../../src/attest/abi/layout.js';
import { CollateralError } from '../../src/attest/errors.js';
import type { Collateral } from '../../src/attest/verify/collateral.js';
import { verifyQuote, type QuoteVerification } from '../../src/attest/verify/verify.js';
import {
  FIXTURE_CASES,
  expectCode,
  fixtureCollateral,
  flipBit,
  readFixture,
} from '../helpers/attest.js';
import { tdxFixture } from '../helpers/fixtures.js';
import { generateTestRoot } from '../helpers/test-chain.js';

const F1 = FIXTURE_CASES.F1;
const F4 = FIXTURE_CASES.F4;
const f1Quote = readFixture(F1.quote);
const f4Quote = readFixture(F4.quote);
const f1Bundle = JSON.parse(readFileSync(tdxFixture(F1.collateral[0]!), 'utf8')) as Record<
  string,
  string
>;
let f1Collateral: Collateral;
let f4Collateral: Collateral;

beforeAll(async () => {
  f1Collateral = await fixtureCollateral(F1);
  f4Collateral = await fixtureCollateral(F4);
});

// Offsets in the v4 quote F1 (body at 48, signature data at 636) and the v5 quote F4 (body at 54).
const F1_SIGNATURE = 636;
const F1_QE_REPORT = 770;
const F1_QE_AUTH_DATA = 1220;
const F4_BODY = 54;

/** Verifies with every signature computed, so no earlier success hides a tampered byte. */
function verify(quote: Uint8Array, collateral: Collateral, now: Date): QuoteVerification {
  return verifyQuote(quote, collateral, { now, cacheSignatures: false });
}

function stepCode(result: QuoteVerification, step: string) {
  return result.steps.find((item) => item.id === step)?.code;
}

describe('verifyQuote on tampered quotes', () => {
  it('rejects a bit flip in every header field the parser does not check', () => {
    for (const field of ['qeSvn', 'pceSvn', 'qeVendorId', 'userData'] as const) {
      const offset = QUOTE_HEADER[field].offset + QUOTE_HEADER[field].size - 1;
      const result = verify(flipBit(f1Quote, offset), f1Collateral, F1.at);
      expect(result.ok, field).toBe(false);
      expect(stepCode(result, 'quote-signature'), field).toBe('QUOTE_SIGNATURE_INVALID');
    }
  });

  it('names the QE vendor when the vendor ID is altered', () => {
    const result = verify(flipBit(f1Quote, QUOTE_HEADER.qeVendorId.offset), f1Collateral, F1.at);
    expect(result.failure?.code).toBe('QE_VENDOR_UNKNOWN');
  });

  it('rejects a bit flip in every field of a TD report 1.5 body', () => {
    for (const [field, spec] of Object.entries(TD_REPORT_15)) {
      const offset = F4_BODY + spec.offset + Math.floor(spec.size / 2);
      const result = verify(flipBit(f4Quote, offset), f4Collateral, F4.at);
      expect(result.ok, field).toBe(false);
      expect(stepCode(result, 'quote-signature'), field).toBe('QUOTE_SIGNATURE_INVALID');
    }
  });

  it('rejects a bit flip in REPORTDATA of a v4 quote', () => {
    const result = verify(flipBit(f1Quote, 48 + 520), f1Collateral, F1.at);
    expect(result.failure?.code).toBe('QUOTE_SIGNATURE_INVALID');
  });

  it('rejects a bit flip in the quote signature', () => {
    const result = verify(flipBit(f1Quote, F1_SIGNATURE + 10), f1Collateral, F1.at);
    expect(result.failure?.code).toBe('QUOTE_SIGNATURE_INVALID');
  });

  it('rejects a bit flip in the attestation key', () => {
    const result = verify(flipBit(f1Quote, F1_SIGNATURE + 64 + 20), f1Collateral, F1.at);
    expect(result.ok).toBe(false);
    expect(stepCode(result, 'qe-report-data')).toBe('QE_REPORT_DATA_MISMATCH');
    expect(['QUOTE_SIGNATURE_INVALID', 'ATTESTATION_KEY_INVALID']).toContain(
      stepCode(result, 'quote-signature'),
    );
  });

  it('rejects a bit flip in every field of the QE report', () => {
    for (const [field, spec] of Object.entries(ENCLAVE_REPORT)) {
      const offset = F1_QE_REPORT + spec.offset + spec.size - 1;
      const result = verify(flipBit(f1Quote, offset), f1Collateral, F1.at);
      expect(result.ok, field).toBe(false);
      expect(stepCode(result, 'qe-report-signature'), field).toBe('QE_REPORT_SIGNATURE_INVALID');
    }
  });

  it('rejects a bit flip in the QE report signature', () => {
    const result = verify(flipBit(f1Quote, F1_QE_REPORT + 384 + 5), f1Collateral, F1.at);
    expect(result.failure?.code).toBe('QE_REPORT_SIGNATURE_INVALID');
  });

  it('rejects a bit flip in the QE authentication data', () => {
    const result = verify(flipBit(f1Quote, F1_QE_AUTH_DATA + 3), f1Collateral, F1.at);
    expect(result.failure?.code).toBe('QE_REPORT_DATA_MISMATCH');
  });

  it.each([
    [0, 'PCK_CHAIN_INVALID'],
    [1, 'PCK_CHAIN_INVALID'],
    [2, 'PCK_CHAIN_INVALID'],
  ])('rejects a bit flip in certificate %i of the PCK chain', (index, code) => {
    const result = verify(flipCertificateBit(f1Quote, index), f1Collateral, F1.at);
    expect(result.ok).toBe(false);
    expect(stepCode(result, 'pck-chain')).toBe(code);
  });
});

describe('verifyQuote with tampered collateral', () => {
  const withBundle = (changes: Record<string, string>) =>
    collateralFromBundle({ ...f1Bundle, ...changes }, 'tampered bundle');

  it('rejects a changed value in the signed TCB Info', () => {
    const text = f1Bundle.tcb_info!.replace(
      '"tcbEvaluationDataNumber":17',
      '"tcbEvaluationDataNumber":16',
    );
    expect(text).not.toBe(f1Bundle.tcb_info);
    const result = verify(f1Quote, withBundle({ tcb_info: text }), F1.at);
    expect(result.failure?.code).toBe('COLLATERAL_SIGNATURE_INVALID');
    expect(result.failure?.step).toBe('tcb-info');
  });

  it('rejects added whitespace in the signed TCB Info', () => {
    const text = f1Bundle.tcb_info!.replace('"id":"TDX"', '"id": "TDX"');
    const result = verify(f1Quote, withBundle({ tcb_info: text }), F1.at);
    expect(result.failure?.code).toBe('COLLATERAL_SIGNATURE_INVALID');
  });

  it('rejects a bit flip in the TCB Info signature', () => {
    const signature = flipHex(f1Bundle.tcb_info_signature!, 7);
    const result = verify(f1Quote, withBundle({ tcb_info_signature: signature }), F1.at);
    expect(result.failure).toMatchObject({
      step: 'tcb-info',
      code: 'COLLATERAL_SIGNATURE_INVALID',
    });
  });

  it('rejects a changed value in the signed QE identity', () => {
    const text = f1Bundle.qe_identity!.replace('"isvprodid":2', '"isvprodid":3');
    expect(text).not.toBe(f1Bundle.qe_identity);
    const result = verify(f1Quote, withBundle({ qe_identity: text }), F1.at);
    expect(result.failure).toMatchObject({
      step: 'qe-identity',
      code: 'COLLATERAL_SIGNATURE_INVALID',
    });
  });

  it('rejects a bit flip in the QE identity signature', () => {
    const signature = flipHex(f1Bundle.qe_identity_signature!, 40);
    const result = verify(f1Quote, withBundle({ qe_identity_signature: signature }), F1.at);
    expect(result.failure).toMatchObject({
      step: 'qe-identity',
      code: 'COLLATERAL_SIGNATURE_INVALID',
    });
  });

  it.each([
    ['root_ca_crl', 'root-crl'],
    ['pck_crl', 'pck-crl'],
  ])('rejects a bit flip in the signature of %s', (key, step) => {
    const der = Buffer.from(f1Bundle[key]!, 'hex');
    der[der.length - 1]! ^= 1;
    const result = verify(f1Quote, withBundle({ [key]: der.toString('hex') }), F1.at);
    expect(result.failure).toMatchObject({ step, code: 'COLLATERAL_SIGNATURE_INVALID' });
  });

  it.each([
    ['root_ca_crl', 'root-crl'],
    ['pck_crl', 'pck-crl'],
  ])('rejects a changed thisUpdate in %s', (key, step) => {
    const der = Buffer.from(f1Bundle[key]!, 'hex');
    // thisUpdate is a UTCTime such as "250619103227Z"; change its last seconds digit.
    const position = der.indexOf(Buffer.from('Z', 'latin1'), 0) - 1;
    der[position]! ^= 1;
    const result = verify(f1Quote, withBundle({ [key]: der.toString('hex') }), F1.at);
    expect(result.failure).toMatchObject({ step, code: 'COLLATERAL_SIGNATURE_INVALID' });
  });

  it('rejects junk in place of a CRL when the collateral is read', () => {
    expectCode(() => withBundle({ pck_crl: 'deadbeef' }), CollateralError, 'COLLATERAL_INVALID');
    expectCode(
      () => withBundle({ root_ca_crl: '3003020101' }),
      CollateralError,
      'COLLATERAL_INVALID',
    );
  });

  it('rejects a PCK CRL that carries the right issuer name but another key', async () => {
    const forged = await forgeCrl(f1Bundle.pck_crl!);
    const result = verify(f1Quote, withBundle({ pck_crl: forged }), F1.at);
    expect(result.failure).toMatchObject({ step: 'pck-crl', code: 'COLLATERAL_SIGNATURE_INVALID' });
  });

  it('rejects a bit flip in the TCB signing certificate', () => {
    const chain = flipPemSignature(f1Bundle.tcb_info_issuer_chain!, 0);
    const result = verify(
      f1Quote,
      withBundle({
        tcb_info_issuer_chain: chain,
        qe_identity_issuer_chain: chain,
        pck_crl_issuer_chain: '',
      }),
      F1.at,
    );
    expect(result.ok).toBe(false);
    expect(['COLLATERAL_SIGNATURE_INVALID', 'TCB_SIGNING_CHAIN_INVALID']).toContain(
      stepCode(result, 'tcb-info'),
    );
  });

  it('reports COLLATERAL_MISSING when a CRL is absent', () => {
    const withoutPckCrl = collateralFromBundle({ ...f1Bundle, pck_crl: null } as never, 'bundle');
    expect(verify(f1Quote, withoutPckCrl, F1.at).failure).toMatchObject({
      step: 'pck-crl',
      code: 'COLLATERAL_MISSING',
    });
  });

  it("reports another platform's TCB Info as missing (F1's collateral for F5)", () => {
    const result = verify(readFixture(FIXTURE_CASES.F5.quote), f1Collateral, F1.at);
    expect(result.failure).toMatchObject({ step: 'tcb-info', code: 'COLLATERAL_MISSING' });
  });

  it('reports SGX collateral for a TDX quote as missing', async () => {
    const sgx = await fixtureCollateral(FIXTURE_CASES.F3);
    const result = verify(f1Quote, sgx, F1.at);
    expect(result.ok).toBe(false);
    expect(stepCode(result, 'tcb-info')).toBe('COLLATERAL_MISSING');
    expect(stepCode(result, 'qe-identity')).toBe('COLLATERAL_MISSING');
  });

  it('rejects the real chain when another root is pinned', async () => {
    const root = await generateTestRoot('Intel SGX Root CA');
    const result = verifyQuote(f1Quote, f1Collateral, { now: F1.at, trustedRoots: [root.pem] });
    expect(result.failure).toMatchObject({ step: 'pck-chain', code: 'PCK_CHAIN_UNTRUSTED' });
  });
});

/** Flips the last bit of the DER of PCK certificate `index`, keeping the PEM the same length. */
function flipCertificateBit(quote: Uint8Array, index: number): Uint8Array {
  const text = Buffer.from(quote).toString('latin1');
  let start = -1;
  for (let i = 0; i <= index; i += 1)
    start = text.indexOf('-----BEGIN CERTIFICATE-----', start + 1);
  const bodyStart = start + '-----BEGIN CERTIFICATE-----'.length;
  const bodyEnd = text.indexOf('-----END CERTIFICATE-----', bodyStart);
  const body = text.slice(bodyStart, bodyEnd);
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  der[der.length - 1]! ^= 1;
  const encoded = der.toString('base64');

  // Put the new base64 back into the same positions, skipping line breaks.
  const copy = new Uint8Array(quote);
  let next = 0;
  for (let i = bodyStart; i < bodyEnd; i += 1) {
    if (!/\s/.test(text[i]!)) copy[i] = encoded.charCodeAt(next++);
  }
  return copy;
}

function flipHex(hex: string, byte: number): string {
  const bytes = Buffer.from(hex, 'hex');
  if (byte >= bytes.length) throw new Error(`byte ${byte} is outside the ${bytes.length} bytes`);
  bytes[byte]! ^= 1;
  return bytes.toString('hex');
}

function flipPemSignature(pem: string, index: number): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
  const der = Buffer.from(blocks[index]!.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64');
  der[der.length - 1]! ^= 1;
  blocks[index] =
    `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----`;
  return blocks.join('\n');
}

/** Forges a CRL with the issuer name and dates of `hex`, signed by a new key. */
async function forgeCrl(hex: string): Promise<string> {
  const { forgeCrlLike } = await import('../helpers/test-chain.js');
  return Buffer.from(await forgeCrlLike(Buffer.from(hex, 'hex'))).toString('hex');
}
