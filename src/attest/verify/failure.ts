import { MariadbTdxError } from '../../errors.js';

/** Stable code of a verification failure, for programs to branch on. */
export type VerificationFailureCode =
  | 'COLLATERAL_MISSING'
  | 'COLLATERAL_EXPIRED'
  | 'COLLATERAL_NOT_YET_VALID'
  | 'QE_VENDOR_UNKNOWN'
  | 'PCK_CHAIN_INVALID'
  | 'PCK_CHAIN_UNTRUSTED'
  | 'PCK_CERTIFICATE_INVALID'
  | 'PCK_REVOKED'
  | 'CA_REVOKED'
  | 'COLLATERAL_SIGNATURE_INVALID'
  | 'TCB_SIGNING_CHAIN_INVALID'
  | 'TCB_INFO_MISMATCH'
  | 'QE_IDENTITY_MISMATCH'
  | 'TDX_MODULE_MISMATCH'
  | 'QE_REPORT_SIGNATURE_INVALID'
  | 'QE_REPORT_DATA_MISMATCH'
  | 'ATTESTATION_KEY_INVALID'
  | 'QUOTE_SIGNATURE_INVALID'
  | 'TCB_NOT_SUPPORTED'
  | 'TCB_REVOKED';

/**
 * One failed verification check. Verification steps throw it, and `verifyQuote` records it in
 * the step's result; `assertQuoteVerified` rethrows the first one for callers that prefer errors.
 */
export class QuoteVerificationError extends MariadbTdxError {
  declare readonly code: VerificationFailureCode;

  constructor(
    code: VerificationFailureCode,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Shorthand for throwing a verification failure from inside a step. */
export function fail(code: VerificationFailureCode, message: string, hint?: string): never {
  throw new QuoteVerificationError(code, message, hint === undefined ? undefined : { hint });
}

/** Hint for failures that fresh collateral resolves. */
export const FETCH_COLLATERAL_HINT =
  'fetch current collateral with: mariadb-tdx quote collateral fetch --pccs URL QUOTE';
