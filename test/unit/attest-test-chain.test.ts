import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCollateral } from '../../src/attest/verify/collateral.js';
import { verifyQuote } from '../../src/attest/verify/verify.js';
import { FIXTURE_CASES, readFixture } from '../helpers/attest.js';
import { tdxFixture } from '../helpers/fixtures.js';
import { resignEvidence, type TestEvidence } from '../helpers/test-chain.js';

const F1 = FIXTURE_CASES.F1;
const bundle = JSON.parse(readFileSync(tdxFixture(F1.collateral[0]!), 'utf8')) as Record<
  string,
  string
>;
const documents = { tcbInfo: bundle.tcb_info!, qeIdentity: bundle.qe_identity! };
const crlTimes = {
  crlThisUpdate: new Date('2025-06-01T00:00:00Z'),
  crlNextUpdate: new Date('2025-08-01T00:00:00Z'),
};

let good: TestEvidence;
let revoked: TestEvidence;

beforeAll(async () => {
  good = await resignEvidence(readFixture(F1.quote), documents, crlTimes);
  revoked = await resignEvidence(readFixture(F1.quote), documents, {
    ...crlTimes,
    revokePck: true,
  });
});

describe('verifyQuote with a test certificate hierarchy', () => {
  it('accepts re-signed evidence when its root is trusted explicitly', () => {
    const result = verifyQuote(good.quote, createCollateral(good.collateral), {
      now: F1.at,
      trustedRoots: [good.rootPem],
    });
    expect(result.failure).toBeUndefined();
    expect(result.tcb?.status).toBe('UpToDate');
  });

  it('rejects the same evidence under the default Intel root', () => {
    const result = verifyQuote(good.quote, createCollateral(good.collateral), { now: F1.at });
    expect(result.failure).toMatchObject({ step: 'pck-chain', code: 'PCK_CHAIN_UNTRUSTED' });
  });

  it('rejects a PCK certificate that the test PCK CRL revokes', () => {
    const result = verifyQuote(revoked.quote, createCollateral(revoked.collateral), {
      now: F1.at,
      trustedRoots: [revoked.rootPem],
    });
    expect(result.failure).toMatchObject({ step: 'pck-crl', code: 'PCK_REVOKED' });
    expect(result.failure?.message).toContain(revoked.pckSerial.replace(/^0+/, '').toLowerCase());
  });

  it('rejects a PCK CRL from another test hierarchy', () => {
    const collateral = createCollateral({
      ...good.collateral,
      crls: [good.collateral.crls![0]!, revoked.collateral.crls![1]!],
    });
    const result = verifyQuote(good.quote, collateral, {
      now: F1.at,
      trustedRoots: [good.rootPem],
    });
    expect(result.failure).toMatchObject({ step: 'pck-crl', code: 'COLLATERAL_SIGNATURE_INVALID' });
  });

  it('rejects collateral signed by another test hierarchy', () => {
    const collateral = createCollateral({
      ...good.collateral,
      tcbInfos: revoked.collateral.tcbInfos,
    });
    const result = verifyQuote(good.quote, collateral, {
      now: F1.at,
      trustedRoots: [good.rootPem],
    });
    expect(result.failure).toMatchObject({
      step: 'tcb-info',
      code: 'COLLATERAL_SIGNATURE_INVALID',
    });
  });
});
