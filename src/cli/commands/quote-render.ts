import { summarizeTdReport, toHex } from '../../attest/abi/describe.js';
import type { QuoteAppraisal } from '../../attest/appraise.js';
import type { StepResult } from '../../attest/verify/context.js';
import type { QuoteVerification } from '../../attest/verify/verify.js';
import { renderPairs } from '../../report/table.js';
import { createStyle, type Style } from '../../report/style.js';

const BODY_NAMES = {
  tdReport10: 'TD report 1.0',
  tdReport15: 'TD report 1.5',
  sgxEnclaveReport: 'SGX enclave report',
} as const;

/** Judgement of an appraisal by the CLI, which sets the verdict word and the exit status. */
export type Verdict = 'accepted' | 'rejected' | 'unusable';

const VERDICT_WORDS: Record<Verdict, string> = {
  accepted: 'ACCEPTED',
  rejected: 'REJECTED',
  unusable: 'NOT VERIFIED',
};

/** Readable summary of an appraisal: verdict, verification steps, TCB, TD fields, policy. */
export function renderAppraisal(
  appraisal: QuoteAppraisal,
  options: { verdict: Verdict; nonIntelRoots: boolean; trailingData?: boolean },
): string {
  const style = createStyle();
  const { verification } = appraisal;
  const quote = verification.quote;
  const word = VERDICT_WORDS[options.verdict];
  const verdict = options.verdict === 'accepted' ? style.ok(word) : style.fail(word);
  const simulated = verification.simulated ? ` ${style.warn('SIMULATED')}` : '';
  const lines = [
    `${verdict}${simulated}  ${quote.header.tee} quote v${quote.header.version} ` +
      `(${BODY_NAMES[quote.bodyKind]}), verified at ${verification.verifiedAt.toISOString()}`,
  ];
  if (verification.simulated) {
    lines.push(
      style.warn(
        '  SIMULATED: this quote comes from a simulated TD signed by a local test root, not from ' +
          'TDX hardware; it proves nothing about a real platform',
      ),
    );
  }
  if (verification.failure) lines.push(`  ${verification.failure.message}`);
  if (verification.failure?.hint) lines.push(style.dim(`  ${verification.failure.hint}`));
  if (options.trailingData) {
    // The signature does not cover bytes after the quote, so they are reported, not trusted.
    // Zero padding, as quote buffers of a fixed size carry, is not worth a word.
    lines.push(
      style.warn(
        `  ${quote.trailingLength} bytes follow the quote; they are not signed and were ignored`,
      ),
    );
  }
  if (options.nonIntelRoots) {
    lines.push(
      style.warn('  a trusted root other than the Intel SGX Root CA was given explicitly'),
    );
  }

  lines.push(
    '',
    style.heading('Verification'),
    ...verification.steps.map((step) => stepLine(step, style)),
  );
  lines.push('', style.heading('TCB'), renderPairs(tcbPairs(verification)));
  if (quote.bodyKind !== 'sgxEnclaveReport') {
    lines.push('', style.heading('TD'), renderPairs(tdPairs(quote.body)));
  }
  lines.push('', style.heading('Policy'));
  for (const finding of appraisal.policy.findings) {
    const mark = finding.status === 'pass' ? style.ok('pass') : style.fail('FAIL');
    lines.push(`  ${mark}  ${finding.rule}: ${finding.message}`);
    if (finding.status === 'fail') {
      lines.push(style.dim(`        observed ${finding.observed}`));
      lines.push(style.dim(`        expected ${finding.expected}`));
    }
  }
  return lines.join('\n');
}

function stepLine(step: StepResult, style: Style): string {
  if (step.status === 'passed') return `  ${style.ok('pass')}  ${step.title}`;
  if (step.status === 'skipped') return `  ${style.dim('skip')}  ${step.title}`;
  return `  ${style.fail('FAIL')}  ${step.title}: ${step.code}`;
}

function tcbPairs(verification: QuoteVerification): [string, string][] {
  const { tcb, platform, collateral } = verification;
  const pairs: [string, string][] = [];
  if (platform) {
    pairs.push([
      'platform',
      `FMSPC ${platform.fmspc}, PCE ID ${platform.pceId}, ${platform.caType} CA`,
    ]);
  }
  if (!tcb) return [...pairs, ['status', 'not determined']];

  pairs.push(
    ['status', tcb.status],
    ['platform level', `${tcb.tdxStatus ?? tcb.sgxStatus} (TCB date ${tcb.tcbDate})`],
  );
  if (tcb.module) {
    pairs.push([
      'TDX module',
      `${tcb.module.id} ISVSVN ${tcb.module.isvSvn}: ${tcb.module.status}`,
    ]);
  }
  pairs.push(
    ['QE', `ISVSVN ${tcb.qe.isvSvn}: ${tcb.qe.status}`],
    ['advisories', tcb.advisoryIds.join(', ') || 'none'],
  );
  if (tcb.relaunchAdvised)
    pairs.push(['relaunch', 'advised: the TD would pick up the updated module']);
  if (collateral.tcbEvaluationDataNumber !== undefined) {
    pairs.push(['evaluation data', `number ${collateral.tcbEvaluationDataNumber}`]);
  }
  if (collateral.validFrom && collateral.validUntil) {
    pairs.push([
      'collateral valid',
      `${collateral.validFrom.toISOString()} to ${collateral.validUntil.toISOString()}`,
    ]);
  }
  return pairs;
}

function tdPairs(body: Parameters<typeof summarizeTdReport>[0]): [string, string][] {
  const summary = summarizeTdReport(body);
  const flags = summary.tdAttributeFlags;
  const attributes = [...flags.set, ...flags.reservedBits.map((bit) => `reserved bit ${bit}`)];
  const pairs: [string, string][] = [
    ['MRTD', summary.mrTd],
    ['RTMR0', summary.rtmr0],
    ['RTMR1', summary.rtmr1],
    ['RTMR2', summary.rtmr2],
    ['RTMR3', summary.rtmr3],
    ['MRCONFIGID', summary.mrConfigId],
    ['MROWNER', summary.mrOwner],
    ['MROWNERCONFIG', summary.mrOwnerConfig],
    ['TDATTRIBUTES', `${summary.tdAttributes} (${attributes.join(', ') || 'none set'})`],
    ['XFAM', summary.xfam],
    ['TEE_TCB_SVN', summary.teeTcbSvn],
    ['MRSEAM', summary.mrSeam],
    ['REPORTDATA', summary.reportData],
  ];
  if (summary.teeTcbSvn2) pairs.push(['TEE_TCB_SVN_2', summary.teeTcbSvn2]);
  if (body.mrServiceTd) pairs.push(['MRSERVICETD', toHex(body.mrServiceTd)]);
  return pairs;
}
