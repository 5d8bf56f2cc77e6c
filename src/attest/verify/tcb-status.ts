import { fail } from './failure.js';
import { relaunchStatus } from './tcb-relaunch.js';
import type {
  IsvLevel,
  IsvLevelStatus,
  TcbInfo,
  TcbLevel,
  TcbLevelStatus,
  TdxModuleIdentity,
} from './tcb-info.js';

/** The TCB status of a verified quote, as Intel's Quote Verification Library defines it. */
export type TcbStatus =
  TcbLevelStatus | 'TDRelaunchAdvised' | 'TDRelaunchAdvisedConfigurationNeeded';

/** The TCB status with the level and status that decided each part of it. */
export interface TcbEvaluation {
  readonly status: TcbStatus;
  /** Status of the first level matching the PCK certificate's SGX components and PCESVN. */
  readonly sgxStatus: TcbLevelStatus;
  /** Status of the first level that also matches TEE_TCB_SVN (TDX quotes). */
  readonly tdxStatus: TcbLevelStatus | undefined;
  /** Date of the platform level that decided the status (TDX level, or SGX level for SGX). */
  readonly tcbDate: string;
  readonly module: ModuleLevelResult | undefined;
  readonly qe: QeLevelResult;
  readonly relaunchAdvised: boolean;
  /** Union of the advisories on the platform, module and QE levels. */
  readonly advisoryIds: readonly string[];
}

export interface ModuleLevelResult {
  readonly id: string;
  readonly isvSvn: number;
  readonly status: IsvLevelStatus;
  readonly tcbDate: string;
  readonly advisoryIds: readonly string[];
}

export interface QeLevelResult {
  readonly isvSvn: number;
  readonly status: IsvLevelStatus;
  readonly tcbDate: string;
  readonly advisoryIds: readonly string[];
}

export interface TcbInputs {
  readonly tcbInfo: TcbInfo;
  /** SGX TCB component SVNs and PCESVN from the PCK certificate. */
  readonly pckComponents: readonly number[];
  readonly pckPceSvn: number;
  /** TEE_TCB_SVN of a TD report; undefined for SGX quotes. */
  readonly teeTcbSvn: Uint8Array | undefined;
  /** TEE_TCB_SVN_2 of a TD report 1.5. */
  readonly teeTcbSvn2: Uint8Array | undefined;
  /** Module identity selected by TEE_TCB_SVN[1]; undefined when that byte is 0. */
  readonly moduleIdentity: TdxModuleIdentity | undefined;
  readonly qe: QeLevelResult;
}

/**
 * Computes the TCB status in the order of Intel's QVL (TcbLevelCheck, TdxModuleCheck,
 * TDRelaunchCheck): platform level, module level, module convergence, relaunch advice for TD 1.5
 * bodies, then QE convergence. Fails with TCB_NOT_SUPPORTED when a required level is missing.
 */
export function evaluateTcb(inputs: TcbInputs): TcbEvaluation {
  const { sgxLevel, tdxLevel } = matchLevels(inputs);
  if (!sgxLevel) {
    fail(
      'TCB_NOT_SUPPORTED',
      `the PCK certificate's TCB (components ${inputs.pckComponents.join(',')}, PCESVN ` +
        `${inputs.pckPceSvn}) is below every level of the TCB Info for FMSPC ` +
        inputs.tcbInfo.fmspc,
      'the platform needs a microcode or BIOS update, or the TCB Info is for another platform',
    );
  }
  if (inputs.teeTcbSvn === undefined) {
    return {
      status: convergeWithIsvStatus(sgxLevel.tcbStatus, inputs.qe.status),
      sgxStatus: sgxLevel.tcbStatus,
      tdxStatus: undefined,
      tcbDate: sgxLevel.tcbDate,
      module: undefined,
      qe: inputs.qe,
      relaunchAdvised: false,
      advisoryIds: union(sgxLevel.advisoryIds, inputs.qe.advisoryIds),
    };
  }
  if (!tdxLevel) {
    fail(
      'TCB_NOT_SUPPORTED',
      `TEE_TCB_SVN ${hex(inputs.teeTcbSvn)} is below every TDX level of the TCB Info for ` +
        `FMSPC ${inputs.tcbInfo.fmspc}`,
      'the TDX module or platform firmware is older than anything Intel still lists',
    );
  }
  return evaluateTdx(inputs, inputs.teeTcbSvn, sgxLevel, tdxLevel);
}

/** Module level and convergence, relaunch advice, then QE convergence, for a TD report. */
function evaluateTdx(
  inputs: TcbInputs,
  teeTcbSvn: Uint8Array,
  sgxLevel: TcbLevel,
  tdxLevel: TcbLevel,
): TcbEvaluation {
  const module = inputs.moduleIdentity
    ? matchModuleLevel(inputs.moduleIdentity, teeTcbSvn[0]!)
    : undefined;
  let status: TcbStatus = module
    ? convergeWithIsvStatus(tdxLevel.tcbStatus, module.status)
    : tdxLevel.tcbStatus;

  // Intel returns Revoked before relaunch advice and QE convergence can change it.
  let relaunchAdvised = false;
  if (status !== 'Revoked' && inputs.teeTcbSvn2 && module && inputs.qe.status === 'UpToDate') {
    const advised = relaunchStatus(inputs, sgxLevel.tcbStatus, status, module.status);
    relaunchAdvised = advised !== undefined;
    status = advised ?? status;
  }
  if (status !== 'Revoked') status = convergeWithIsvStatus(status, inputs.qe.status);

  return {
    status,
    sgxStatus: sgxLevel.tcbStatus,
    tdxStatus: tdxLevel.tcbStatus,
    tcbDate: tdxLevel.tcbDate,
    module,
    qe: inputs.qe,
    relaunchAdvised,
    advisoryIds: union(tdxLevel.advisoryIds, module?.advisoryIds ?? [], inputs.qe.advisoryIds),
  };
}

/**
 * Finds the SGX level: the first level whose SGX components and PCESVN the PCK certificate
 * reaches. The TDX level is the first level from there on that TEE_TCB_SVN also reaches. A
 * versioned TDX module (TEE_TCB_SVN[1] > 0) has bytes 0 and 1 judged by its module identity, so
 * only bytes 2 to 15 are compared here.
 */
function matchLevels(inputs: TcbInputs): { sgxLevel?: TcbLevel; tdxLevel?: TcbLevel } {
  let sgxLevel: TcbLevel | undefined;
  for (const level of inputs.tcbInfo.tcbLevels) {
    const sgxReached =
      level.sgxComponents.every((svn, i) => (inputs.pckComponents[i] ?? 0) >= svn) &&
      inputs.pckPceSvn >= level.pceSvn;
    if (!sgxReached) continue;
    sgxLevel ??= level;
    if (inputs.teeTcbSvn === undefined) return { sgxLevel };
    if (tdxReached(inputs.teeTcbSvn, level)) return { sgxLevel, tdxLevel: level };
  }
  return { sgxLevel };
}

function tdxReached(teeTcbSvn: Uint8Array, level: TcbLevel): boolean {
  const first = teeTcbSvn[1]! > 0 ? 2 : 0;
  for (let i = first; i < 16; i += 1) {
    if (teeTcbSvn[i]! < (level.tdxComponents?.[i] ?? 0)) return false;
  }
  return true;
}

function matchModuleLevel(identity: TdxModuleIdentity, isvSvn: number): ModuleLevelResult {
  const level = identity.tcbLevels.find((candidate) => isvSvn >= candidate.isvSvn);
  if (!level) {
    fail(
      'TCB_NOT_SUPPORTED',
      `TDX module ${identity.id} ISVSVN ${isvSvn} is below every level Intel lists for it`,
      'update the TDX module on the host',
    );
  }
  return { id: identity.id, ...levelFacts(level), isvSvn };
}

/** Finds the QE identity level for a QE ISVSVN, or undefined when it is below every level. */
export function matchQeLevel(
  levels: readonly IsvLevel[],
  isvSvn: number,
): QeLevelResult | undefined {
  const level = levels.find((candidate) => isvSvn >= candidate.isvSvn);
  return level ? { ...levelFacts(level), isvSvn } : undefined;
}

function levelFacts(level: IsvLevel) {
  return { status: level.tcbStatus, tcbDate: level.tcbDate, advisoryIds: level.advisoryIds };
}

/**
 * Folds an OutOfDate or Revoked module or QE into the platform status, as Intel's
 * convergeTcbStatusWith* functions do. An UpToDate one changes nothing.
 */
function convergeWithIsvStatus(status: TcbStatus, other: IsvLevelStatus): TcbStatus {
  if (other === 'Revoked') return 'Revoked';
  if (other !== 'OutOfDate') return status;
  if (status === 'UpToDate' || status === 'SWHardeningNeeded') return 'OutOfDate';
  if (status === 'ConfigurationNeeded' || status === 'ConfigurationAndSWHardeningNeeded') {
    return 'OutOfDateConfigurationNeeded';
  }
  return status;
}

function union(...lists: (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].sort();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
