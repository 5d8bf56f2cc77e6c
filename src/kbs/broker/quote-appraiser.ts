import { toHex } from '../../attest/abi/describe.js';
import { appraiseQuote } from '../../attest/appraise.js';
import { parseQuote } from '../../attest/abi/quote.js';
import { isTdxQuote, type TdReport } from '../../attest/abi/types.js';
import { loadCollateral } from '../../attest/collateral/load.js';
import { QuoteFormatError } from '../../attest/errors.js';
import { loadPolicy } from '../../attest/policy/parse.js';
import { INTEL_SGX_ROOT_CA_PEM, loadTrustedRoots } from '../../attest/verify/roots.js';
import { BrokerError } from '../errors.js';
import type { Appraisal, QuoteAppraiser, TdClaims } from './appraisal.js';
import { hasSimulatedPckChain } from '../../attest/verify/simulated.js';

/** Options of {@link createQuoteAppraiser}. */
export interface QuoteAppraiserOptions {
  readonly policyPath: string;
  readonly collateralPaths: readonly string[];
  /**
   * PEM of a SIMULATED test root to trust besides the Intel SGX Root CA. Quotes that chain to
   * it are accepted and marked simulated; without it they fail verification.
   */
  readonly simulatedRoot?: string | undefined;
  /** Verification time; default the current time at each call. */
  readonly now?: (() => Date) | undefined;
}

/**
 * Builds the broker's appraiser from the quote verifier and policy of `quote verify`: parse,
 * verify signatures, chains, CRLs and collateral, compute the TCB status, then apply every
 * policy rule. Collateral is loaded once, when the broker starts.
 */
export async function createQuoteAppraiser(
  options: QuoteAppraiserOptions,
): Promise<QuoteAppraiser> {
  const policy = await loadPolicy(options.policyPath);
  if (options.collateralPaths.length === 0) {
    throw new BrokerError('BROKER_DIR_INVALID', 'no collateral to verify quotes against', {
      hint: 'pass --collateral with a collateral file or a cache from quote collateral fetch',
    });
  }
  // TODO: collateral is read once at start. A long-running broker must be restarted with fresh
  // collateral before its TCB Info and CRLs expire, which Intel sets at 30 days.
  const collateral = await loadCollateral(options.collateralPaths);
  const simulatedFingerprint = options.simulatedRoot
    ? loadTrustedRoots([options.simulatedRoot])[0]!.fingerprint
    : undefined;
  const trustedRoots = options.simulatedRoot
    ? [INTEL_SGX_ROOT_CA_PEM, options.simulatedRoot]
    : undefined;
  const now = options.now ?? (() => new Date());

  return async (bytes: Buffer): Promise<Appraisal> => {
    let quote;
    try {
      quote = parseQuote(bytes);
    } catch (error) {
      if (!(error instanceof QuoteFormatError)) throw error;
      return refused([{ code: error.code, message: error.message }]);
    }
    if (!isTdxQuote(quote)) {
      return refused([
        { code: 'NOT_TDX_QUOTE', message: 'the quote is an SGX quote, not a TD quote' },
      ]);
    }

    const appraisal = appraiseQuote(quote, collateral, { now: now(), trustedRoots, policy });
    const verification = appraisal.verification;
    const facts = {
      claims: tdClaims(quote.body),
      tcbStatus: verification.tcb?.status,
      // A quote from any simulated TD is marked, also one whose chain this broker does not
      // trust, so the audit log never records simulated evidence as real.
      simulated:
        (simulatedFingerprint !== undefined && verification.trustedRoot === simulatedFingerprint) ||
        hasSimulatedPckChain(quote),
    };
    if (!verification.ok) {
      const { code, message } = verification.failure!;
      return { ...refused([{ code, message }]), ...facts };
    }

    const reasons = appraisal.policy.findings
      .filter((finding) => finding.status === 'fail')
      .map((finding) => ({ code: finding.rule, message: finding.message }));
    return {
      verified: true,
      accepted: appraisal.accepted,
      reasons,
      reportData: Buffer.from(quote.body.reportData),
      ...facts,
    };
  };
}

function refused(reasons: Appraisal['reasons']): Appraisal {
  return { verified: false, accepted: false, reasons, simulated: false };
}

function tdClaims(body: TdReport): TdClaims {
  return {
    mrtd: toHex(body.mrTd),
    rtmr0: toHex(body.rtmrs[0]),
    rtmr1: toHex(body.rtmrs[1]),
    rtmr2: toHex(body.rtmrs[2]),
    rtmr3: toHex(body.rtmrs[3]),
    mrconfigid: toHex(body.mrConfigId),
    mrowner: toHex(body.mrOwner),
    mrownerconfig: toHex(body.mrOwnerConfig),
    tdAttributes: toHex(body.tdAttributes),
    xfam: toHex(body.xfam),
    teeTcbSvn: toHex(body.teeTcbSvn),
    mrseam: toHex(body.mrSeam),
  };
}
