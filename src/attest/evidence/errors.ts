import { MariadbTdxError } from '../../errors.js';

/** Failures to produce evidence: configfs-tsm in a TD, or the simulated TD. */
export type EvidenceErrorCode =
  | 'TSM_UNAVAILABLE'
  | 'TSM_REPORT_FAILED'
  | 'TSM_BUSY'
  | 'EVIDENCE_UNAVAILABLE'
  | 'SIMULATED_TD_INVALID';

export class EvidenceError extends MariadbTdxError {
  declare readonly code: EvidenceErrorCode;

  constructor(
    code: EvidenceErrorCode,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(code, message, options);
  }
}
