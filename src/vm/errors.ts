import { MariadbTdxError } from '../errors.js';

/** Failures of the host and guest VM commands: tools, images, domains, guests and dumps. */
export type VmErrorCode =
  | 'TOOL_MISSING'
  | 'TOOL_FAILED'
  | 'INVALID_NAME'
  | 'VM_EXISTS'
  | 'VM_NOT_FOUND'
  | 'VM_NOT_RUNNING'
  | 'VM_STATE_INVALID'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_NOT_QCOW2'
  | 'FIRMWARE_NOT_FOUND'
  | 'TDX_UNAVAILABLE'
  | 'START_FAILED'
  | 'GUEST_TIMEOUT'
  | 'GUEST_EXITED'
  | 'GUEST_PROVISION_FAILED'
  | 'GUEST_UNREACHABLE'
  | 'QMP_FAILED'
  | 'VIRSH_FAILED'
  | 'DUMP_EXISTS'
  | 'DUMP_NO_SPACE'
  | 'DUMP_FAILED'
  | 'DUMP_FORMAT_UNSUPPORTED'
  | 'NOT_ROOT'
  | 'INTERRUPTED';

export class VmError extends MariadbTdxError {
  declare readonly code: VmErrorCode;

  constructor(code: VmErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(code, message, options);
  }
}
