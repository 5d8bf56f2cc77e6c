import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/attest/abi/describe.js';
import type { TdxQuote } from '../../src/attest/abi/types.js';
import { PolicyError } from '../../src/attest/errors.js';
import { evaluatePolicy } from '../../src/attest/policy/evaluate.js';
import { loadPolicy, parsePolicy } from '../../src/attest/policy/parse.js';
import { DEFAULT_POLICY } from '../../src/attest/policy/types.js';
import { verifyQuote, type QuoteVerification } from '../../src/attest/verify/verify.js';
import {
  FIXTURE_CASES,
  expectCode,
  expectCodeAsync,
  fixtureCollateral,
  readFixture,
} from '../helpers/attest.js';
import { scratchDir } from '../helpers/scratch.js';

const results = new Map<string, QuoteVerification>();

beforeAll(async () => {
  for (const name of ['F1', 'F4', 'F5', 'F6', 'F7'] as const) {
    const testCase = FIXTURE_CASES[name];
    const collateral = await fixtureCollateral(testCase);
    results.set(name, verifyQuote(readFixture(testCase.quote), collateral, { now: testCase.at }));
  }
});

function evaluate(name: string, policy: unknown) {
  return evaluatePolicy(results.get(name)!, parsePolicy(policy));
}

function failed(report: ReturnType<typeof evaluate>) {
  return report.findings
    .filter((finding) => finding.status === 'fail')
    .map((finding) => finding.rule);
}

describe('parsePolicy', () => {
  it('fills in the defaults for an empty policy', () => {
    expect(parsePolicy({})).toEqual(DEFAULT_POLICY);
  });

  it('accepts one value or a list for a measurement and lower-cases hex', () => {
    const policy = parsePolicy({
      mrTd: 'AB'.repeat(48),
      rtmr0: ['cd'.repeat(48), 'ef'.repeat(48)],
    });
    expect(policy.mrTd).toEqual(['ab'.repeat(48)]);
    expect(policy.rtmr0).toHaveLength(2);
  });

  it('reads durations with units', () => {
    expect(parsePolicy({ maxCollateralAge: '7d' }).maxCollateralAgeSeconds).toBe(604800);
    expect(parsePolicy({ maxCollateralAge: '12h' }).maxCollateralAgeSeconds).toBe(43200);
    expect(parsePolicy({ maxCollateralAge: 90 }).maxCollateralAgeSeconds).toBe(90);
  });

  it('lists every problem of an invalid policy in one error', () => {
    const error = expectCode(
      () =>
        parsePolicy({
          mrtd: 'ab'.repeat(48),
          rtmr1: 'not hex',
          acceptedTcbStatuses: ['UpToDate', 'Fine'],
          tdAttributes: { required: ['DEBUG'], forbidden: ['DEBUG'] },
        }),
      PolicyError,
      'POLICY_INVALID',
    );
    expect(error.message).toContain('mrtd is not a policy rule');
    expect(error.message).toContain('rtmr1 must be 96 hex digits');
    expect(error.message).toContain('acceptedTcbStatuses[1]');
    expect(error.message).toContain('DEBUG as both required and forbidden');
    expect((error as PolicyError).path).toBe('mrtd');
  });

  it('rejects an unknown TD attribute name', () => {
    expectCode(
      () => parsePolicy({ tdAttributes: { forbidden: ['SEPT'] } }),
      PolicyError,
      'POLICY_INVALID',
    );
  });
});

describe('loadPolicy', () => {
  it('reads YAML and JSON files', async () => {
    const directory = await scratchDir('mariadb-tdx-policy-');
    const yamlPath = join(directory, 'policy.yaml');
    await writeFile(
      yamlPath,
      `acceptedTcbStatuses: [UpToDate, SWHardeningNeeded]\nxfam: "e702060000000000"\n`,
    );
    const jsonPath = join(directory, 'policy.json');
    await writeFile(jsonPath, JSON.stringify({ maxCollateralAge: '1d' }));

    expect((await loadPolicy(yamlPath)).acceptedTcbStatuses).toEqual([
      'UpToDate',
      'SWHardeningNeeded',
    ]);
    expect((await loadPolicy(yamlPath)).xfam).toEqual(['e702060000000000']);
    expect((await loadPolicy(jsonPath)).maxCollateralAgeSeconds).toBe(86400);
  });

  it('reports a missing file as POLICY_NOT_FOUND', async () => {
    await expectCodeAsync(
      () => loadPolicy('/nonexistent/policy.yaml'),
      PolicyError,
      'POLICY_NOT_FOUND',
    );
  });
});

describe('evaluatePolicy', () => {
  it('passes F1 against its own measurements', () => {
    const body = (results.get('F1')!.quote as TdxQuote).body;
    const report = evaluate('F1', {
      mrTd: toHex(body.mrTd),
      rtmr0: toHex(body.rtmrs[0]),
      rtmr3: toHex(body.rtmrs[3]),
      mrConfigId: toHex(body.mrConfigId),
      mrOwner: toHex(body.mrOwner),
      xfam: 'e702060000000000',
      minTeeTcbSvn: '06010300000000000000000000000000',
    });
    expect(report.satisfied).toBe(true);
    expect(report.findings.map((finding) => finding.rule)).toEqual(
      expect.arrayContaining([
        'mrtd',
        'rtmr0',
        'rtmr3',
        'mrconfigid',
        'mrowner',
        'xfam',
        'min-tee-tcb-svn',
      ]),
    );
  });

  it('reports every rule that fails, not only the first', () => {
    const report = evaluate('F1', {
      mrTd: '00'.repeat(48),
      rtmr2: '11'.repeat(48),
      xfam: 'ffffffffffffffff',
      minTeeTcbSvn: '07000000000000000000000000000000',
      minTcbEvaluationDataNumber: 18,
    });
    expect(report.satisfied).toBe(false);
    expect(failed(report)).toEqual([
      'tcb-evaluation-data-number',
      'mrtd',
      'rtmr2',
      'xfam',
      'min-tee-tcb-svn',
    ]);
  });

  it('rejects collateral older than the maximum age', () => {
    // F1 is verified on 2025-07-01; its TCB Info was issued on 2025-06-19.
    expect(failed(evaluate('F1', { maxCollateralAge: '7d' }))).toContain('collateral-age');
    expect(failed(evaluate('F1', { maxCollateralAge: '400d' }))).not.toContain('collateral-age');
  });

  it('rejects a platform affected by a listed advisory', () => {
    const report = evaluate('F5', {
      acceptedTcbStatuses: ['OutOfDate'],
      rejectedAdvisoryIds: ['intel-sa-00960'],
    });
    expect(failed(report)).toEqual(['advisories']);
  });

  it('accepts a TD without SEPT_VE_DISABLE when the policy does not require it', () => {
    expect(failed(evaluate('F6', {}))).toEqual(['td-attributes.required.SEPT_VE_DISABLE']);
    expect(evaluate('F6', { tdAttributes: { required: [] } }).satisfied).toBe(true);
  });

  it('accepts a debug TD only when DEBUG is not forbidden', () => {
    expect(evaluate('F7', { tdAttributes: { forbidden: ['RESERVED'] } }).satisfied).toBe(true);
  });

  it('requires an all-zero MRSERVICETD in TD 1.5 reports by default', () => {
    const finding = evaluate('F4', {}).findings.find((item) => item.rule === 'mrservicetd');
    expect(finding?.status).toBe('pass');
    const bound = evaluate('F4', { mrServiceTd: '01'.repeat(48) });
    expect(failed(bound)).toEqual(['mrservicetd']);
    expect(evaluate('F1', {}).findings.some((item) => item.rule === 'mrservicetd')).toBe(false);
  });
});
