import { MariadbTdxError } from '../errors.js';

/** Reasons a posture check could not run at all; findings report everything else. */
export type PostureErrorCode =
  | 'NOT_MARIADB'
  | 'HANDSHAKE_CLOSED'
  | 'UNSUPPORTED_VERSION'
  | 'UNKNOWN_CHECK'
  | 'NO_CHECK_SELECTED';

export class PostureError extends MariadbTdxError {
  declare readonly code: PostureErrorCode;

  constructor(
    code: PostureErrorCode,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(code, message, options);
  }
}
