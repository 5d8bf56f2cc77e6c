import type { TdAttributeName } from '../abi/td-attributes.js';
import { TCB_LEVEL_STATUSES } from '../verify/tcb-info.js';
import type { TcbStatus } from '../verify/tcb-status.js';

/** Every TCB status a verified quote can be accepted with; Revoked is always terminal. */
export const TCB_STATUSES: readonly TcbStatus[] = [
  ...TCB_LEVEL_STATUSES.filter((status) => status !== 'Revoked'),
  'TDRelaunchAdvised',
  'TDRelaunchAdvisedConfigurationNeeded',
];

/** `RESERVED` stands for every TDATTRIBUTES bit without a defined meaning. */
export type TdAttributeRule = TdAttributeName | 'RESERVED';

/**
 * The relying party's rules for accepting a verified TDX quote. Byte fields are lower-case hex in
 * quote byte order, exactly as `quote verify --json` prints them. u64 fields such as XFAM are
 * therefore little-endian: XFAM 0x00000000000602e7 is written `e702060000000000`. A list of
 * values accepts any one of them. Unset fields are not checked.
 */
export interface Policy {
  /** TCB statuses to accept. Default: UpToDate only. */
  readonly acceptedTcbStatuses: readonly TcbStatus[];
  readonly mrTd?: readonly string[];
  readonly rtmr0?: readonly string[];
  readonly rtmr1?: readonly string[];
  readonly rtmr2?: readonly string[];
  readonly rtmr3?: readonly string[];
  readonly mrConfigId?: readonly string[];
  readonly mrOwner?: readonly string[];
  readonly mrOwnerConfig?: readonly string[];
  readonly mrSeam?: readonly string[];
  readonly xfam?: readonly string[];
  readonly reportData?: readonly string[];
  /** Expected MRSERVICETD of TD 1.5 reports. Default: all zero (no service TD bound). */
  readonly mrServiceTd?: readonly string[];
  /** Default: SEPT_VE_DISABLE required; DEBUG and reserved bits forbidden. */
  readonly tdAttributes: {
    readonly required: readonly TdAttributeName[];
    readonly forbidden: readonly TdAttributeRule[];
  };
  /** Minimum of each TEE_TCB_SVN byte, as 32 hex digits. */
  readonly minTeeTcbSvn?: string;
  /** Maximum age of the oldest TCB Info, QE identity or CRL, in seconds. */
  readonly maxCollateralAgeSeconds?: number;
  readonly minTcbEvaluationDataNumber?: number;
  readonly rejectedAdvisoryIds?: readonly string[];
}

/** The policy applied when the caller gives none. */
export const DEFAULT_POLICY: Policy = {
  acceptedTcbStatuses: ['UpToDate'],
  mrServiceTd: ['0'.repeat(96)],
  tdAttributes: { required: ['SEPT_VE_DISABLE'], forbidden: ['DEBUG', 'RESERVED'] },
};

/** The outcome of one policy rule. */
export interface PolicyFinding {
  /** Stable rule name, such as `mrtd` or `td-attributes.forbidden.DEBUG`. */
  readonly rule: string;
  readonly status: 'pass' | 'fail';
  readonly observed: string;
  readonly expected: string;
  readonly message: string;
}

export interface PolicyReport {
  /** True when every rule passed. */
  readonly satisfied: boolean;
  readonly findings: readonly PolicyFinding[];
}
