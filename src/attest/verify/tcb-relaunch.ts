import { fail } from './failure.js';
import {
  findModuleIdentity,
  type IsvLevelStatus,
  type TcbInfo,
  type TcbLevel,
  type TcbLevelStatus,
} from './tcb-info.js';
import type { TcbInputs, TcbStatus } from './tcb-status.js';

const CONFIGURATION_STATUSES: readonly TcbStatus[] = [
  'ConfigurationNeeded',
  'OutOfDateConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'TDRelaunchAdvisedConfigurationNeeded',
];

/**
 * TD 1.5 relaunch advice: the TD was launched on an out-of-date module, but the module running
 * now (TEE_TCB_SVN_2) reaches the newest level, so relaunching the TD would bring it up to date.
 * Returns the relaunch status, or undefined when the advice does not apply.
 */
export function relaunchStatus(
  inputs: TcbInputs,
  sgxStatus: TcbLevelStatus,
  tdxStatus: TcbStatus,
  moduleStatus: IsvLevelStatus,
): TcbStatus | undefined {
  const sgxEligible = [
    'UpToDate',
    'SWHardeningNeeded',
    'ConfigurationNeeded',
    'ConfigurationAndSWHardeningNeeded',
  ];
  if (!sgxEligible.includes(sgxStatus)) return undefined;
  if (tdxStatus !== 'OutOfDate' && tdxStatus !== 'OutOfDateConfigurationNeeded') return undefined;
  if (moduleStatus !== 'OutOfDate') return undefined;

  const svn2 = inputs.teeTcbSvn2!;
  const latest = inputs.tcbInfo.tcbLevels[0]!;
  const newestModuleSvn = newestModuleIsvSvn(inputs.tcbInfo, svn2[1]!, latest);
  if (svn2[0]! < newestModuleSvn || svn2[2]! < (latest.tdxComponents?.[2] ?? 0)) return undefined;

  const configuration =
    CONFIGURATION_STATUSES.includes(sgxStatus) || CONFIGURATION_STATUSES.includes(tdxStatus);
  return configuration ? 'TDRelaunchAdvisedConfigurationNeeded' : 'TDRelaunchAdvised';
}

function newestModuleIsvSvn(tcbInfo: TcbInfo, version: number, latest: TcbLevel): number {
  if (version === 0) return latest.tdxComponents?.[0] ?? 0;
  const identity = findModuleIdentity(tcbInfo, version);
  if (!identity) {
    fail(
      'TDX_MODULE_MISMATCH',
      `the TCB Info has no identity for the running TDX module version ${version} (TEE_TCB_SVN_2)`,
    );
  }
  return identity.tcbLevels[0]!.isvSvn;
}
