/** Measured fields of a TD, hex-encoded; public values that go into audit lines and tokens. */
export interface TdClaims {
  readonly mrtd: string;
  readonly rtmr0: string;
  readonly rtmr1: string;
  readonly rtmr2: string;
  readonly rtmr3: string;
  readonly mrconfigid: string;
  readonly mrowner: string;
  readonly mrownerconfig: string;
  /** TDATTRIBUTES as the 8 little-endian quote bytes in hex. */
  readonly tdAttributes: string;
  readonly xfam: string;
  readonly teeTcbSvn: string;
  readonly mrseam: string;
}

/** One reason for refusing a quote, from the verifier or the policy. */
export interface AppraisalReason {
  readonly code: string;
  readonly message: string;
}

/** Outcome of verifying a quote and applying the broker's policy to it. */
export interface Appraisal {
  /** True when signatures, certificate chains and collateral verified: REPORTDATA is genuine. */
  readonly verified: boolean;
  /** True when `verified` and the policy accepted the TD. */
  readonly accepted: boolean;
  /** Every reason for refusal; empty when accepted. */
  readonly reasons: readonly AppraisalReason[];
  /** REPORTDATA; present only when `verified`, because before that it is attacker-supplied. */
  readonly reportData?: Buffer | undefined;
  /** Measured fields, present whenever the quote parsed. */
  readonly claims?: TdClaims | undefined;
  /** Intel TCB status, present when TCB evaluation ran. */
  readonly tcbStatus?: string | undefined;
  /** True when the quote chains to a simulated test root rather than Intel's. */
  readonly simulated: boolean;
}

/** Verifies a quote and applies policy; throws only when it could not run at all. */
export type QuoteAppraiser = (quote: Buffer) => Promise<Appraisal>;
