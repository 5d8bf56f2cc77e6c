import type { Quote } from '../abi/types.js';
import type { Certificate } from './certificate.js';
import type { Collateral, SignedCollateral } from './collateral.js';
import type { Crl } from './crl.js';
import type { VerificationFailureCode } from './failure.js';
import type { PckExtension } from './pck-extension.js';
import type { QeIdentity } from './qe-identity.js';
import type { TcbInfo, TdxModuleIdentity } from './tcb-info.js';
import type { QeLevelResult, TcbEvaluation } from './tcb-status.js';

/** Verification steps, in the order they run. */
export type StepId =
  | 'quote-header'
  | 'pck-chain'
  | 'root-crl'
  | 'pck-crl'
  | 'tcb-info'
  | 'qe-identity'
  | 'tdx-module'
  | 'qe-report-signature'
  | 'qe-report-data'
  | 'qe-identity-match'
  | 'quote-signature'
  | 'tcb-status';

export type StepDetails = Record<string, string | number | boolean | readonly string[]>;

export interface StepResult {
  readonly id: StepId;
  readonly title: string;
  /** `skipped` when a step it depends on did not pass. */
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly code?: VerificationFailureCode;
  readonly message?: string;
  readonly hint?: string;
  /** Facts the step established or compared, for reports. */
  readonly details: StepDetails;
}

/** The validity period of one piece of collateral that verification relied on. */
export interface ValidityWindow {
  readonly kind: 'certificate' | 'crl' | 'document';
  readonly item: string;
  readonly source: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Platform facts from the PCK certificate, and the path it was verified on. */
export interface PckFacts {
  readonly path: readonly Certificate[];
  readonly extension: PckExtension;
  readonly caType: 'platform' | 'processor';
}

/** State shared by the steps of one verification. */
export interface VerifyContext {
  readonly quote: Quote;
  readonly collateral: Collateral;
  readonly now: Date;
  readonly roots: readonly Certificate[];
  readonly cacheSignatures: boolean;
  readonly windows: ValidityWindow[];
  /** Root CA CRLs already checked, by root fingerprint. */
  readonly rootCrls: Map<string, Crl>;
  /** TCB signing certificates already checked up to a root, by fingerprint. */
  readonly checkedSigners: Set<string>;
  pck?: PckFacts;
  pckCrl?: Crl;
  tcbInfo?: SignedCollateral<TcbInfo>;
  qeIdentity?: SignedCollateral<QeIdentity>;
  moduleIdentity?: TdxModuleIdentity;
  qeLevel?: QeLevelResult;
  tcb?: TcbEvaluation;
}
