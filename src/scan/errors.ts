import { MariadbTdxError } from '../errors.js';

/** Why a scan or a dump could not run, or could not read all of its input. */
export type ScanErrorCode =
  | 'NO_SOURCES'
  | 'NO_VALUES'
  | 'VALUES_INVALID'
  | 'TOO_MANY_PATTERNS'
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_UNREADABLE'
  | 'SOURCE_UNSUPPORTED'
  | 'ELF_INVALID'
  | 'ELF_TRUNCATED'
  | 'KDUMP_INVALID'
  | 'KDUMP_TRUNCATED'
  | 'KDUMP_COMPRESSION_UNSUPPORTED'
  | 'PROCESS_NOT_FOUND'
  | 'PROCESS_UNREADABLE'
  | 'WORKER_FAILED'
  | 'INTERRUPTED'
  | 'DUMP_FAILED'
  | 'OUTPUT_EXISTS'
  | 'OUTPUT_UNSUPPORTED'
  | 'OUTPUT_FAILED';

export class ScanError extends MariadbTdxError {
  declare readonly code: ScanErrorCode;

  constructor(code: ScanErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(code, message, options);
  }
}
