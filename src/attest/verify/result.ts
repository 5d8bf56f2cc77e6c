import { toHex } from '../abi/describe.js';
import type { Quote } from '../abi/types.js';
import type { StepId, StepResult, ValidityWindow, VerifyContext } from './context.js';
import type { VerificationFailureCode } from './failure.js';
import { hasSimulatedPckChain, isSimulatedCertificate } from './simulated.js';
import type { TcbEvaluation } from './tcb-status.js';

/** Platform facts from the verified PCK certificate. */
export interface PlatformFacts {
  readonly fmspc: string;
  readonly pceId: string;
  readonly caType: 'platform' | 'processor';
  readonly pckSerial: string;
  readonly sgxType: number;
  readonly pckTcbComponents: readonly number[];
  readonly pckPceSvn: number;
  readonly dynamicPlatform: boolean | undefined;
  readonly cachedKeys: boolean | undefined;
  readonly smtEnabled: boolean | undefined;
}

/** The outcome of `verifyQuote`. */
export interface QuoteVerification {
  /** True when every step passed: the quote is genuine and its TCB status is not terminal. */
  readonly ok: boolean;
  readonly verifiedAt: Date;
  readonly quote: Quote;
  readonly steps: readonly StepResult[];
  /** The first failed step, which is the reason `ok` is false. */
  readonly failure:
    { step: StepId; code: VerificationFailureCode; message: string; hint?: string } | undefined;
  /** SHA-256 of the trusted root the PCK chain ends at. */
  readonly trustedRoot: string | undefined;
  /**
   * True when the quote's PCK chain comes from the TD simulator (a SIMULATED test root), not
   * from Intel, whether or not it verified. Reports must then print SIMULATED.
   */
  readonly simulated: boolean;
  readonly platform: PlatformFacts | undefined;
  /** Present once the TCB status was computed, also when it is Revoked. */
  readonly tcb: TcbEvaluation | undefined;
  readonly collateral: CollateralFacts;
}

/** Validity facts of the collateral that verification relied on. */
export interface CollateralFacts {
  readonly items: readonly ValidityWindow[];
  /** Latest start and earliest end over all items: when this verification would also pass. */
  readonly validFrom: Date | undefined;
  readonly validUntil: Date | undefined;
  /** Earliest issue date among the TCB Info, QE identity and CRLs, for age limits. */
  readonly oldestIssue: Date | undefined;
  readonly tcbEvaluationDataNumber: number | undefined;
  readonly qeIdentityEvaluationDataNumber: number | undefined;
  readonly tcbInfoFmspc: string | undefined;
}

export function buildResult(
  context: VerifyContext,
  steps: readonly StepResult[],
): QuoteVerification {
  const failed = steps.find((step) => step.status === 'failed');
  const extension = context.pck?.extension;
  return {
    ok: failed === undefined,
    verifiedAt: context.now,
    quote: context.quote,
    steps,
    failure: failed && {
      step: failed.id,
      code: failed.code!,
      message: failed.message!,
      ...(failed.hint === undefined ? {} : { hint: failed.hint }),
    },
    trustedRoot: context.pck?.path.at(-1)?.fingerprint,
    simulated: isSimulatedEvidence(context),
    platform: extension && {
      fmspc: toHex(extension.fmspc),
      pceId: toHex(extension.pceId),
      caType: context.pck!.caType,
      pckSerial: context.pck!.path[0]!.serial,
      sgxType: extension.sgxType,
      pckTcbComponents: extension.sgxTcbComponents,
      pckPceSvn: extension.pceSvn,
      dynamicPlatform: extension.dynamicPlatform,
      cachedKeys: extension.cachedKeys,
      smtEnabled: extension.smtEnabled,
    },
    tcb: context.tcb,
    collateral: collateralFacts(context),
  };
}

function collateralFacts(context: VerifyContext): CollateralFacts {
  const items = context.windows;
  const times = (pick: (item: ValidityWindow) => Date) => items.map((item) => pick(item).getTime());
  const issued = items.filter((item) => item.kind !== 'certificate');
  return {
    items,
    validFrom: items.length ? new Date(Math.max(...times((item) => item.notBefore))) : undefined,
    validUntil: items.length ? new Date(Math.min(...times((item) => item.notAfter))) : undefined,
    oldestIssue: issued.length
      ? new Date(Math.min(...issued.map((item) => item.notBefore.getTime())))
      : undefined,
    tcbEvaluationDataNumber: context.tcbInfo?.body.tcbEvaluationDataNumber,
    qeIdentityEvaluationDataNumber: context.qeIdentity?.body.tcbEvaluationDataNumber,
    tcbInfoFmspc: context.tcbInfo?.body.fmspc,
  };
}

function isSimulatedEvidence(context: VerifyContext): boolean {
  const root = context.pck?.path.at(-1);
  return (
    hasSimulatedPckChain(context.quote) || (root !== undefined && isSimulatedCertificate(root))
  );
}
