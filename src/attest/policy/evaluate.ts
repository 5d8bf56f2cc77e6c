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

// Rule name, policy key, field name as Intel's documents write it, and the field's bytes.
const MEASUREMENTS = [
  ['mrtd', 'mrTd', 'MRTD', (body: TdReport) => body.mrTd],
  ['rtmr0', 'rtmr0', 'RTMR0', (body: TdReport) => body.rtmrs[0]],
  ['rtmr1', 'rtmr1', 'RTMR1', (body: TdReport) => body.rtmrs[1]],
  ['rtmr2', 'rtmr2', 'RTMR2', (body: TdReport) => body.rtmrs[2]],
  ['rtmr3', 'rtmr3', 'RTMR3', (body: TdReport) => body.rtmrs[3]],
  ['mrconfigid', 'mrConfigId', 'MRCONFIGID', (body: TdReport) => body.mrConfigId],
  ['mrowner', 'mrOwner', 'MROWNER', (body: TdReport) => body.mrOwner],
  ['mrownerconfig', 'mrOwnerConfig', 'MROWNERCONFIG', (body: TdReport) => body.mrOwnerConfig],
  ['mrseam', 'mrSeam', 'MRSEAM', (body: TdReport) => body.mrSeam],
  ['xfam', 'xfam', 'XFAM', (body: TdReport) => body.xfam],
  ['report-data', 'reportData', 'REPORTDATA', (body: TdReport) => body.reportData],
] as const;

function tdFindings(body: TdReport, policy: Policy): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const [rule, key, field, read] of MEASUREMENTS) {
    const expected = policy[key];
    if (!expected) continue;
    const observed = toHex(read(body));
    const passed = expected.includes(observed);
    findings.push(
      finding(rule, passed, observed, expected.join(' | '), matchMessage(field, passed, expected)),
    );
  }

  if (policy.mrServiceTd && body.mrServiceTd) {
    const observed = toHex(body.mrServiceTd);
    const passed = policy.mrServiceTd.includes(observed);
    const message =
      passed && /^0+$/.test(observed)
        ? 'no service TD is bound (MRSERVICETD is all zero)'
        : matchMessage('MRSERVICETD', passed, policy.mrServiceTd);
    findings.push(
      finding('mrservicetd', passed, observed, policy.mrServiceTd.join(' | '), message),
    );
  }
  findings.push(...attributeFindings(body.tdAttributes, policy));
  if (policy.minTeeTcbSvn) findings.push(teeTcbSvnFinding(body.teeTcbSvn, policy.minTeeTcbSvn));
  return findings;
}

function matchMessage(field: string, passed: boolean, expected: readonly string[]): string {
  if (expected.length === 1) {
    return `${field} ${passed ? 'matches' : 'differs from'} the expected value`;
  }
  return `${field} ${passed ? 'matches one' : 'matches none'} of the ${expected.length} accepted values`;
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
    low.length === 0
      ? 'TEE_TCB_SVN is high enough'
      : low.length === 1
        ? `TEE_TCB_SVN byte ${low[0]} is below the minimum`
        : `TEE_TCB_SVN bytes ${low.join(', ')} are below the minimum`,
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
