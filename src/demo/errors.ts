import { MariadbTdxError } from '../errors.js';

/** Failures of the demo run as a whole. */
export type DemoErrorCode = 'DEMO_DIR_EXISTS' | 'DEMO_DIR_BUSY' | 'INTERRUPTED' | 'STEP_FAILED';

export class DemoError extends MariadbTdxError {
  declare readonly code: DemoErrorCode;

  constructor(code: DemoErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(code, message, options);
  }
}
