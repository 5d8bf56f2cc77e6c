import { MariadbTdxError } from '../errors.js';

type ErrorOptions = { hint?: string; cause?: unknown };

/** Malformed or unsupported quote bytes. */
export type QuoteFormatErrorCode =
  | 'QUOTE_TRUNCATED'
  | 'QUOTE_ENCODING_INVALID'
  | 'QUOTE_UNSUPPORTED_VERSION'
  | 'QUOTE_UNSUPPORTED_KEY_TYPE'
  | 'QUOTE_UNSUPPORTED_TEE_TYPE'
  | 'QUOTE_BODY_INVALID'
  | 'QUOTE_FIELD_INVALID'
  | 'CERTIFICATION_DATA_UNSUPPORTED'
  | 'CERTIFICATION_DATA_SIZE_MISMATCH'
  | 'PCK_CHAIN_INVALID'
  | 'NOT_TDX_QUOTE';

/**
 * A quote that cannot be parsed. `field` names the structure member that failed (for example
 * `signatureData.qeReportCertificationData.qeAuthData.size`) and `offset` is its absolute byte
 * offset in the quote.
 */
export class QuoteFormatError extends MariadbTdxError {
  declare readonly code: QuoteFormatErrorCode;
  readonly field: string;
  readonly offset: number;

  constructor(
    code: QuoteFormatErrorCode,
    message: string,
    location: { field: string; offset: number },
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.field = location.field;
    this.offset = location.offset;
  }
}

/** Collateral that is missing, malformed, or could not be read or downloaded. */
export type CollateralErrorCode =
  | 'COLLATERAL_INVALID'
  | 'COLLATERAL_NOT_FOUND'
  | 'COLLATERAL_UNRECOGNIZED'
  | 'COLLATERAL_FETCH_FAILED'
  | 'COLLATERAL_DOWNGRADE'
  | 'TRUST_ANCHOR_INVALID';

export class CollateralError extends MariadbTdxError {
  declare readonly code: CollateralErrorCode;
  /** File, URL or JSON path of the item that failed. */
  readonly source: string | undefined;

  constructor(
    code: CollateralErrorCode,
    message: string,
    options: ErrorOptions & { source?: string } = {},
  ) {
    super(code, message, options);
    this.source = options.source;
  }
}

/** A policy file or policy object that is malformed. */
export type PolicyErrorCode = 'POLICY_INVALID' | 'POLICY_NOT_FOUND';

export class PolicyError extends MariadbTdxError {
  declare readonly code: PolicyErrorCode;
  /** Path of the offending setting, such as `tdAttributes.required[1]`. */
  readonly path: string | undefined;

  constructor(
    code: PolicyErrorCode,
    message: string,
    options: ErrorOptions & { path?: string } = {},
  ) {
    super(code, message, options);
    this.path = options.path;
  }
}
