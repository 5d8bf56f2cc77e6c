import { toHex } from '../abi/describe.js';
import { TD_ATTRIBUTES_RESERVED_MASK, hasTdAttribute, readU64 } from '../abi/td-attributes.js';
import type { TdReport } from '../abi/types.js';
import type { QuoteVerification } from '../verify/verify.js';
import type { Policy, PolicyFinding, PolicyReport } from './types.js';

/**
 * Applies a policy to a verification result and reports every rule, passed or failed. Rules on
 * TD fields are evaluated even when verification failed, so a report shows all that is wrong.
 * Such a quote is never accepted, because its `tcb-status` rule fails.
 */
export function evaluatePolicy(verification: QuoteVerification, policy: Policy): PolicyReport {
  const findings: PolicyFinding[] = [];
  const { quote } = verification;
  if (quote.bodyKind === 'sgxEnclaveReport') {
    findings.push(
      finding('tee-type', false, 'SGX', 'TDX', 'this is an SGX quote, not a TDX quote'),
    );
  } else {
    findings.push(finding('tee-type', true, 'TDX', 'TDX', 'the quote comes from a TD'));
  }

  findings.push(...tcbFindings(verification, policy));
  if (quote.bodyKind !== 'sgxEnclaveReport') findings.push(...tdFindings(quote.body, policy));
  findings.push(...collateralFindings(verification, policy));
  return { satisfied: findings.every((item) => item.status === 'pass'), findings };
}

function finding(
  rule: string,
  passed: boolean,
  observed: string,
  expected: string,
  message: string,
): PolicyFinding {
  return { rule, status: passed ? 'pass' : 'fail', observed, expected, message };
}

function tcbFindings(verification: QuoteVerification, policy: Policy): PolicyFinding[] {
  const tcb = verification.tcb;
  const accepted = policy.acceptedTcbStatuses;
  const status = tcb?.status ?? 'none';
  const findings = [
    finding(
      'tcb-status',
      tcb !== undefined && accepted.includes(tcb.status),
      status,
      accepted.join(' | '),
      tcb ? `TCB status is ${tcb.status}` : 'no TCB status: verification did not complete',
    ),
  ];

  if (policy.rejectedAdvisoryIds && tcb) {
    const hits = tcb.advisoryIds.filter((id) => policy.rejectedAdvisoryIds!.includes(id));
    findings.push(
      finding(
        'advisories',
        hits.length === 0,
        tcb.advisoryIds.join(', ') || 'none',
        `none of ${policy.rejectedAdvisoryIds.join(', ')}`,
        hits.length
          ? `the platform is affected by ${hits.join(', ')}`
          : 'no rejected advisory applies',
      ),
    );
  }
  if (policy.minTcbEvaluationDataNumber !== undefined) {
    const number = verification.collateral.tcbEvaluationDataNumber;
    findings.push(
      finding(
        'tcb-evaluation-data-number',
        number !== undefined && number >= policy.minTcbEvaluationDataNumber,
        String(number ?? 'none'),
        `>= ${policy.minTcbEvaluationDataNumber}`,
        'TCB evaluation data number of the TCB Info',
      ),
    );
  }
  return findings;
}

const MEASUREMENTS = [
  ['mrtd', 'mrTd', (body: TdReport) => body.mrTd],
  ['rtmr0', 'rtmr0', (body: TdReport) => body.rtmrs[0]],
  ['rtmr1', 'rtmr1', (body: TdReport) => body.rtmrs[1]],
  ['rtmr2', 'rtmr2', (body: TdReport) => body.rtmrs[2]],
  ['rtmr3', 'rtmr3', (body: TdReport) => body.rtmrs[3]],
  ['mrconfigid', 'mrConfigId', (body: TdReport) => body.mrConfigId],
  ['mrowner', 'mrOwner', (body: TdReport) => body.mrOwner],
  ['mrownerconfig', 'mrOwnerConfig', (body: TdReport) => body.mrOwnerConfig],
  ['mrseam', 'mrSeam', (body: TdReport) => body.mrSeam],
  ['xfam', 'xfam', (body: TdReport) => body.xfam],
  ['report-data', 'reportData', (body: TdReport) => body.reportData],
] as const;

function tdFindings(body: TdReport, policy: Policy): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const [rule, key, read] of MEASUREMENTS) {
    const expected = policy[key];
    if (!expected) continue;
    const observed = toHex(read(body));
    findings.push(
      finding(
        rule,
        expected.includes(observed),
        observed,
        expected.join(' | '),
        `${rule} of the TD`,
      ),
    );
  }

  if (policy.mrServiceTd && body.mrServiceTd) {
    const observed = toHex(body.mrServiceTd);
    findings.push(
      finding(
        'mrservicetd',
        policy.mrServiceTd.includes(observed),
        observed,
        policy.mrServiceTd.join(' | '),
        'service TD bound to the TD (all zero: none)',
      ),
    );
  }
  findings.push(...attributeFindings(body.tdAttributes, policy));
  if (policy.minTeeTcbSvn) findings.push(teeTcbSvnFinding(body.teeTcbSvn, policy.minTeeTcbSvn));
  return findings;
}

function attributeFindings(tdAttributes: Uint8Array, policy: Policy): PolicyFinding[] {
  const observed = toHex(tdAttributes);
  const findings = policy.tdAttributes.required.map((name) =>
    finding(
      `td-attributes.required.${name}`,
      hasTdAttribute(tdAttributes, name),
      observed,
      `${name} set`,
      hasTdAttribute(tdAttributes, name) ? `${name} is set` : `${name} is not set`,
    ),
  );
  for (const name of policy.tdAttributes.forbidden) {
    const reserved = name === 'RESERVED';
    const set = reserved
      ? (readU64(tdAttributes) & TD_ATTRIBUTES_RESERVED_MASK) !== 0n
      : hasTdAttribute(tdAttributes, name);
    findings.push(
      finding(
        `td-attributes.forbidden.${name}`,
        !set,
        observed,
        reserved ? 'no reserved bit set' : `${name} clear`,
        attributeMessage(name, set),
      ),
    );
  }
  return findings;
}

function attributeMessage(name: string, set: boolean): string {
  if (name !== 'RESERVED') return `${name} is ${set ? 'set' : 'clear'}`;
  return set ? 'a reserved bit is set' : 'no reserved bit is set';
}

function teeTcbSvnFinding(teeTcbSvn: Uint8Array, minimum: string): PolicyFinding {
  const floor = Buffer.from(minimum, 'hex');
  const low = [...teeTcbSvn].flatMap((svn, i) => (svn < floor[i]! ? [i] : []));
  return finding(
    'min-tee-tcb-svn',
    low.length === 0,
    toHex(teeTcbSvn),
    `each byte >= ${minimum}`,
    low.length
      ? `TEE_TCB_SVN bytes ${low.join(', ')} are below the minimum`
      : 'TEE_TCB_SVN is high enough',
  );
}

function collateralFindings(verification: QuoteVerification, policy: Policy): PolicyFinding[] {
  const limit = policy.maxCollateralAgeSeconds;
  if (limit === undefined) return [];
  const oldest = verification.collateral.oldestIssue;
  const age = oldest
    ? Math.floor((verification.verifiedAt.getTime() - oldest.getTime()) / 1000)
    : undefined;
  return [
    finding(
      'collateral-age',
      age !== undefined && age <= limit,
      age === undefined ? 'unknown' : `${age}s (issued ${oldest!.toISOString()})`,
      `<= ${limit}s`,
      'age of the oldest TCB Info, QE identity or CRL at the verification time',
    ),
  ];
}
