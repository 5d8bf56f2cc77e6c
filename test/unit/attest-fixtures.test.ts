import { beforeAll, describe, expect, it } from 'vitest';
import { appraiseQuote } from '../../src/attest/appraise.js';
import { parsePolicy } from '../../src/attest/policy/parse.js';
import type { Collateral } from '../../src/attest/verify/collateral.js';
import { verifyQuote, type QuoteVerification } from '../../src/attest/verify/verify.js';
import {
  FIXTURE_CASES,
  fixtureCollateral,
  readFixture,
  type FixtureCase,
} from '../helpers/attest.js';

const collaterals = new Map<string, Collateral>();

beforeAll(async () => {
  for (const testCase of Object.values(FIXTURE_CASES)) {
    collaterals.set(testCase.name, await fixtureCollateral(testCase));
  }
});

function verifyAt(testCase: FixtureCase, now: Date, cacheSignatures = true): QuoteVerification {
  return verifyQuote(readFixture(testCase.quote), collaterals.get(testCase.name)!, {
    now,
    cacheSignatures,
  });
}

const EXPECTED = {
  F1: { status: 'UpToDate', advisories: [], tcbDate: '2024-03-13T00:00:00Z', evaluation: 17 },
  F3: {
    status: 'ConfigurationAndSWHardeningNeeded',
    advisories: ['INTEL-SA-00289', 'INTEL-SA-00615'],
    tcbDate: '2024-03-13T00:00:00Z',
    evaluation: 17,
  },
  F4: { status: 'UpToDate', advisories: [], tcbDate: '2024-11-13T00:00:00Z', evaluation: 18 },
  F5: {
    status: 'OutOfDate',
    advisories: ['INTEL-SA-00960', 'INTEL-SA-00982', 'INTEL-SA-00986'],
    tcbDate: '2023-08-09T00:00:00Z',
    evaluation: 17,
  },
  F6: { status: 'UpToDate', advisories: [], tcbDate: '2024-03-13T00:00:00Z', evaluation: 17 },
  F7: { status: 'UpToDate', advisories: [], tcbDate: '2023-02-15T00:00:00Z', evaluation: 15 },
} as const;

describe('verifyQuote on the fixtures', () => {
  describe.each(Object.entries(EXPECTED))('case %s', (name, expected) => {
    const testCase = FIXTURE_CASES[name as keyof typeof FIXTURE_CASES];

    it('reaches the TCB status of the manifest', () => {
      const result = verifyAt(testCase, testCase.at);
      expect(result.failure).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.tcb?.status).toBe(expected.status);
      expect(result.tcb?.advisoryIds).toEqual(expected.advisories);
      expect(result.tcb?.tcbDate).toBe(expected.tcbDate);
      expect(result.tcb?.qe.status).toBe('UpToDate');
      expect(result.collateral.tcbEvaluationDataNumber).toBe(expected.evaluation);
    });

    it('gives the same result with every signature computed', () => {
      const result = verifyAt(testCase, testCase.at, false);
      expect(result.ok).toBe(true);
      expect(result.tcb?.status).toBe(expected.status);
    });

    it('reports the collateral window of the manifest', () => {
      const result = verifyAt(testCase, testCase.at);
      expect(result.collateral.validFrom).toEqual(testCase.windowStart);
      expect(result.collateral.validUntil).toEqual(testCase.windowEnd);
    });

    it('passes at both ends of the window', () => {
      expect(verifyAt(testCase, testCase.windowStart).ok).toBe(true);
      expect(verifyAt(testCase, testCase.windowEnd).ok).toBe(true);
    });

    it('fails one second before the window with COLLATERAL_NOT_YET_VALID', () => {
      const result = verifyAt(testCase, new Date(testCase.windowStart.getTime() - 1000));
      expect(result.ok).toBe(false);
      expect(result.failure?.code).toBe('COLLATERAL_NOT_YET_VALID');
    });

    it('fails one second after the window with COLLATERAL_EXPIRED', () => {
      const result = verifyAt(testCase, new Date(testCase.windowEnd.getTime() + 1000));
      expect(result.ok).toBe(false);
      expect(result.failure?.code).toBe('COLLATERAL_EXPIRED');
    });

    it('fails today because the collateral has expired', () => {
      expect(verifyAt(testCase, new Date()).failure?.code).toBe('COLLATERAL_EXPIRED');
    });
  });

  it('reports the module identity of a TD 1.5 quote (F4)', () => {
    const result = verifyAt(FIXTURE_CASES.F4, FIXTURE_CASES.F4.at);
    expect(result.tcb?.module).toMatchObject({ id: 'TDX_01', isvSvn: 11, status: 'UpToDate' });
    expect(result.tcb?.relaunchAdvised).toBe(false);
  });

  it('compares all 16 TEE_TCB_SVN bytes for module version 0 (F7)', () => {
    const result = verifyAt(FIXTURE_CASES.F7, FIXTURE_CASES.F7.at);
    expect(result.tcb?.module).toBeUndefined();
    expect(result.steps.find((step) => step.id === 'tdx-module')?.details).toMatchObject({
      identity: 'base tdxModule',
    });
  });

  it('rejects F2 as TCB not supported although every signature verifies', () => {
    const result = verifyAt(FIXTURE_CASES.F2, FIXTURE_CASES.F2.at);
    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ step: 'tcb-status', code: 'TCB_NOT_SUPPORTED' });
    const others = result.steps.filter((step) => step.id !== 'tcb-status');
    expect(others.every((step) => step.status === 'passed')).toBe(true);
  });

  it('passes F2 at its window edges up to the TCB status', () => {
    const { windowStart, windowEnd } = FIXTURE_CASES.F2;
    for (const now of [windowStart, windowEnd]) {
      expect(verifyAt(FIXTURE_CASES.F2, now).failure?.code).toBe('TCB_NOT_SUPPORTED');
    }
    const late = new Date(windowEnd.getTime() + 1000);
    expect(verifyAt(FIXTURE_CASES.F2, late).failure?.code).toBe('COLLATERAL_EXPIRED');
  });

  it('records the platform facts of the PCK certificate', () => {
    const result = verifyAt(FIXTURE_CASES.F1, FIXTURE_CASES.F1.at);
    expect(result.platform).toMatchObject({
      fmspc: 'b0c06f000000',
      pceId: '0000',
      caType: 'platform',
    });
    expect(result.trustedRoot).toBe(
      '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3',
    );
  });
});

describe('appraiseQuote with the default policy', () => {
  const appraise = (name: keyof typeof FIXTURE_CASES) => {
    const testCase = FIXTURE_CASES[name];
    return appraiseQuote(readFixture(testCase.quote), collaterals.get(name)!, { now: testCase.at });
  };
  const failedRules = (name: keyof typeof FIXTURE_CASES) =>
    appraise(name)
      .policy.findings.filter((finding) => finding.status === 'fail')
      .map((finding) => finding.rule);

  it('accepts the up-to-date TDs F1 and F4', () => {
    expect(appraise('F1').accepted).toBe(true);
    expect(appraise('F4').accepted).toBe(true);
  });

  it('rejects F2, whose TCB is not supported', () => {
    expect(appraise('F2').accepted).toBe(false);
    expect(failedRules('F2')).toEqual(['tcb-status']);
  });

  it('rejects the SGX quote F3 as not a TDX quote', () => {
    const appraisal = appraise('F3');
    expect(appraisal.verification.ok).toBe(true);
    expect(appraisal.accepted).toBe(false);
    expect(failedRules('F3')).toContain('tee-type');
  });

  it('rejects F5 as OutOfDate unless the policy accepts that status', () => {
    expect(failedRules('F5')).toEqual(['tcb-status']);
    const policy = parsePolicy({ acceptedTcbStatuses: ['UpToDate', 'OutOfDate'] });
    const testCase = FIXTURE_CASES.F5;
    const appraisal = appraiseQuote(readFixture(testCase.quote), collaterals.get('F5')!, {
      now: testCase.at,
      policy,
    });
    expect(appraisal.accepted).toBe(true);
  });

  it('rejects F6 because SEPT_VE_DISABLE is off', () => {
    expect(appraise('F6').verification.tcb?.status).toBe('UpToDate');
    expect(failedRules('F6')).toEqual(['td-attributes.required.SEPT_VE_DISABLE']);
  });

  it('rejects F7 because it is a debug TD', () => {
    expect(appraise('F7').verification.tcb?.status).toBe('UpToDate');
    expect(failedRules('F7')).toEqual(['td-attributes.forbidden.DEBUG']);
  });
});
