import { summarizeQuote, type QuoteSummary } from './abi/describe.js';
import type { QuoteAppraisal } from './appraise.js';
import type { PolicyReport } from './policy/types.js';
import type { StepResult } from './verify/context.js';
import type { TcbEvaluation } from './verify/tcb-status.js';
import type { PlatformFacts, QuoteVerification } from './verify/verify.js';

/** JSON form of an appraisal, as `quote verify --json` prints it. */
export interface AppraisalJson {
  readonly accepted: boolean;
  /** True when the evidence comes from a simulated TD (a SIMULATED test root), not TDX hardware. */
  readonly simulated: boolean;
  readonly verifiedAt: string;
  readonly trustedRoot: string | undefined;
  readonly quote: QuoteSummary;
  readonly verification: {
    readonly ok: boolean;
    readonly failure: QuoteVerification['failure'];
    readonly steps: readonly StepResult[];
  };
  readonly platform: PlatformFacts | undefined;
  readonly tcb: TcbEvaluation | undefined;
  readonly collateral: {
    readonly validFrom: string | undefined;
    readonly validUntil: string | undefined;
    readonly oldestIssue: string | undefined;
    readonly tcbEvaluationDataNumber: number | undefined;
    readonly qeIdentityEvaluationDataNumber: number | undefined;
    readonly items: readonly {
      kind: string;
      item: string;
      source: string;
      notBefore: string;
      notAfter: string;
    }[];
  };
  readonly policy: PolicyReport;
}

/** Converts an appraisal to plain JSON data: byte fields as hex, times as ISO 8601. */
export function appraisalToJson(appraisal: QuoteAppraisal): AppraisalJson {
  const { verification } = appraisal;
  const { collateral } = verification;
  return {
    accepted: appraisal.accepted,
    simulated: verification.simulated,
    verifiedAt: verification.verifiedAt.toISOString(),
    trustedRoot: verification.trustedRoot,
    quote: summarizeQuote(verification.quote),
    verification: { ok: verification.ok, failure: verification.failure, steps: verification.steps },
    platform: verification.platform,
    tcb: verification.tcb,
    collateral: {
      validFrom: collateral.validFrom?.toISOString(),
      validUntil: collateral.validUntil?.toISOString(),
      oldestIssue: collateral.oldestIssue?.toISOString(),
      tcbEvaluationDataNumber: collateral.tcbEvaluationDataNumber,
      qeIdentityEvaluationDataNumber: collateral.qeIdentityEvaluationDataNumber,
      items: collateral.items.map((item) => ({
        ...item,
        notBefore: item.notBefore.toISOString(),
        notAfter: item.notAfter.toISOString(),
      })),
    },
    policy: appraisal.policy,
  };
}
