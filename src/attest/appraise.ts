import type { Quote } from './abi/types.js';
import { evaluatePolicy } from './policy/evaluate.js';
import { DEFAULT_POLICY, type Policy, type PolicyReport } from './policy/types.js';
import type { Collateral } from './verify/collateral.js';
import { verifyQuote, type QuoteVerification, type VerifyQuoteOptions } from './verify/verify.js';

export interface AppraiseQuoteOptions extends VerifyQuoteOptions {
  /** Rules the quote must satisfy. Default: DEFAULT_POLICY. */
  readonly policy?: Policy;
}

/** Verification and policy outcome of one quote. */
export interface QuoteAppraisal {
  /** True when verification passed and every policy rule holds. */
  readonly accepted: boolean;
  readonly verification: QuoteVerification;
  readonly policy: PolicyReport;
}

/**
 * Verifies a quote and applies the relying party's policy: the one call a key broker or client
 * needs before it trusts a TD.
 *
 * @example
 * const appraisal = appraiseQuote(quote, collateral, { policy: await loadPolicy('policy.yaml') });
 * if (!appraisal.accepted) return reject(appraisal.policy.findings);
 */
export function appraiseQuote(
  quote: Uint8Array | Quote,
  collateral: Collateral,
  options: AppraiseQuoteOptions = {},
): QuoteAppraisal {
  const verification = verifyQuote(quote, collateral, options);
  const policy = evaluatePolicy(verification, options.policy ?? DEFAULT_POLICY);
  return { accepted: verification.ok && policy.satisfied, verification, policy };
}
