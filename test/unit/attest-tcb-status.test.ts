import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QuoteVerificationError } from '../../src/attest/verify/failure.js';
import { splitSignedJson } from '../../src/attest/verify/signed-json.js';
import {
  findModuleIdentity,
  parseTcbInfo,
  type TcbInfo,
} from '../../src/attest/verify/tcb-info.js';
import {
  evaluateTcb,
  type QeLevelResult,
  type TcbInputs,
} from '../../src/attest/verify/tcb-status.js';
import { expectCode } from '../helpers/attest.js';
import { tdxFixture } from '../helpers/fixtures.js';

// TDX TCB Info for FMSPC 90c06f000000 (evaluation data number 18). Its levels, highest first:
// UpToDate (SGX 3,3,2,2,4,1,0,5; TDX component 2 >= 3), OutOfDate (TDX component 2 >= 2), and an
// older OutOfDate level with PCESVN 5. Module TDX_01 levels: ISVSVN 6 UpToDate, 4 and 2 OutOfDate.
const body = readFileSync(tdxFixture('go-tdx-guest/sample_tcbinfo_response_v5'), 'utf8');
const text = splitSignedJson(body, 'tcbInfo', 'TCB Info').text;
const TCB_INFO = parseTcbInfo(text, 'TCB Info');
const TDX_01 = findModuleIdentity(TCB_INFO, 1)!;

const QE_UP_TO_DATE: QeLevelResult = {
  isvSvn: 7,
  status: 'UpToDate',
  tcbDate: '2024-11-13T00:00:00Z',
  advisoryIds: [],
};

function svn(...leading: number[]): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes.set(leading);
  return bytes;
}

function inputs(overrides: Partial<TcbInputs> = {}): TcbInputs {
  return {
    tcbInfo: TCB_INFO,
    pckComponents: [4, 4, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0],
    pckPceSvn: 13,
    teeTcbSvn: svn(11, 1, 4),
    teeTcbSvn2: undefined,
    moduleIdentity: TDX_01,
    qe: QE_UP_TO_DATE,
    ...overrides,
  };
}

/** Parses the TCB Info with the status of one platform level or module level replaced. */
function withStatus(change: { level?: number; moduleIsvSvn?: number; status: string }): TcbInfo {
  const json = JSON.parse(text) as {
    tcbLevels: { tcbStatus: string }[];
    tdxModuleIdentities: {
      id: string;
      tcbLevels: { tcb: { isvsvn: number }; tcbStatus: string }[];
    }[];
  };
  if (change.level !== undefined) json.tcbLevels[change.level]!.tcbStatus = change.status;
  if (change.moduleIsvSvn !== undefined) {
    const module = json.tdxModuleIdentities.find((identity) => identity.id === 'TDX_01')!;
    module.tcbLevels.find((level) => level.tcb.isvsvn === change.moduleIsvSvn)!.tcbStatus =
      change.status;
  }
  return parseTcbInfo(JSON.stringify(json), 'modified TCB Info');
}

describe('evaluateTcb', () => {
  it('returns UpToDate for a current platform, module and QE', () => {
    const result = evaluateTcb(inputs());
    expect(result.status).toBe('UpToDate');
    expect(result.module).toMatchObject({ id: 'TDX_01', status: 'UpToDate' });
  });

  describe('TEE_TCB_SVN comparison', () => {
    it('ignores bytes 0 and 1 when the module version byte is non-zero', () => {
      // Byte 0 (4) is below the TDX component 0 (5) of every level; the module identity judges it.
      const result = evaluateTcb(inputs({ teeTcbSvn: svn(4, 1, 3) }));
      expect(result.tdxStatus).toBe('UpToDate');
      expect(result.module?.status).toBe('OutOfDate');
      expect(result.status).toBe('OutOfDate');
    });

    it('compares all 16 bytes when the module version byte is zero', () => {
      const error = expectCode(
        () => evaluateTcb(inputs({ teeTcbSvn: svn(4, 0, 3), moduleIdentity: undefined })),
        QuoteVerificationError,
        'TCB_NOT_SUPPORTED',
      );
      expect(error.message).toContain('TEE_TCB_SVN');
    });

    it('selects the lower level when a platform byte is below the top level', () => {
      const result = evaluateTcb(inputs({ teeTcbSvn: svn(11, 1, 2) }));
      expect(result.tdxStatus).toBe('OutOfDate');
      expect(result.tcbDate).toBe('2024-03-13T00:00:00Z');
      expect(result.advisoryIds).toContain('INTEL-SA-01079');
    });
  });

  describe('module convergence', () => {
    it('turns ConfigurationNeeded into OutOfDateConfigurationNeeded for an old module', () => {
      const tcbInfo = withStatus({ level: 0, status: 'ConfigurationNeeded' });
      const result = evaluateTcb(
        inputs({
          tcbInfo,
          teeTcbSvn: svn(4, 1, 3),
          moduleIdentity: findModuleIdentity(tcbInfo, 1),
        }),
      );
      expect(result.status).toBe('OutOfDateConfigurationNeeded');
    });

    it('returns Revoked for a revoked module', () => {
      const tcbInfo = withStatus({ moduleIsvSvn: 4, status: 'Revoked' });
      const result = evaluateTcb(
        inputs({
          tcbInfo,
          teeTcbSvn: svn(4, 1, 3),
          moduleIdentity: findModuleIdentity(tcbInfo, 1),
        }),
      );
      expect(result.status).toBe('Revoked');
    });

    it('fails TCB_NOT_SUPPORTED when the module ISVSVN is below every level', () => {
      expectCode(
        () => evaluateTcb(inputs({ teeTcbSvn: svn(1, 1, 3) })),
        QuoteVerificationError,
        'TCB_NOT_SUPPORTED',
      );
    });

    it('includes the module level advisories', () => {
      const result = evaluateTcb(inputs({ teeTcbSvn: svn(4, 1, 3) }));
      expect(result.advisoryIds).toEqual(['INTEL-SA-01036', 'INTEL-SA-01099']);
    });
  });

  describe('QE convergence', () => {
    it('turns UpToDate into OutOfDate for an out-of-date QE', () => {
      const qe = {
        ...QE_UP_TO_DATE,
        status: 'OutOfDate' as const,
        advisoryIds: ['INTEL-SA-00999'],
      };
      const result = evaluateTcb(inputs({ qe }));
      expect(result.status).toBe('OutOfDate');
      expect(result.advisoryIds).toEqual(['INTEL-SA-00999']);
    });

    it('returns Revoked for a revoked QE', () => {
      const result = evaluateTcb(inputs({ qe: { ...QE_UP_TO_DATE, status: 'Revoked' } }));
      expect(result.status).toBe('Revoked');
    });
  });

  describe('TD 1.5 relaunch advice', () => {
    const launchedOnOldModule = { teeTcbSvn: svn(4, 1, 3) };

    it('advises a relaunch when the running module reaches the newest level', () => {
      const result = evaluateTcb(inputs({ ...launchedOnOldModule, teeTcbSvn2: svn(6, 1, 3) }));
      expect(result.status).toBe('TDRelaunchAdvised');
      expect(result.relaunchAdvised).toBe(true);
    });

    it('keeps OutOfDate when the running module is not the newest', () => {
      const result = evaluateTcb(inputs({ ...launchedOnOldModule, teeTcbSvn2: svn(5, 1, 3) }));
      expect(result.status).toBe('OutOfDate');
      expect(result.relaunchAdvised).toBe(false);
    });

    it('keeps OutOfDate when the running platform component 2 is old', () => {
      const result = evaluateTcb(inputs({ ...launchedOnOldModule, teeTcbSvn2: svn(6, 1, 2) }));
      expect(result.status).toBe('OutOfDate');
    });

    it('adds ConfigurationNeeded when the platform level needs configuration', () => {
      const tcbInfo = withStatus({ level: 0, status: 'ConfigurationNeeded' });
      const result = evaluateTcb(
        inputs({
          ...launchedOnOldModule,
          tcbInfo,
          moduleIdentity: findModuleIdentity(tcbInfo, 1),
          teeTcbSvn2: svn(6, 1, 3),
        }),
      );
      expect(result.status).toBe('TDRelaunchAdvisedConfigurationNeeded');
    });

    it('gives no relaunch advice when the QE is out of date', () => {
      const qe = { ...QE_UP_TO_DATE, status: 'OutOfDate' as const };
      const result = evaluateTcb(inputs({ ...launchedOnOldModule, teeTcbSvn2: svn(6, 1, 3), qe }));
      expect(result.status).toBe('OutOfDate');
    });

    it('fails TDX_MODULE_MISMATCH when the running module version has no identity', () => {
      expectCode(
        () => evaluateTcb(inputs({ ...launchedOnOldModule, teeTcbSvn2: svn(6, 5, 3) })),
        QuoteVerificationError,
        'TDX_MODULE_MISMATCH',
      );
    });
  });

  it('fails TCB_NOT_SUPPORTED when the PCK TCB is below every level', () => {
    const pckComponents = [4, 4, 2, 2, 4, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0];
    expectCode(
      () => evaluateTcb(inputs({ pckComponents })),
      QuoteVerificationError,
      'TCB_NOT_SUPPORTED',
    );
  });

  it('uses the SGX level and QE only for an SGX quote', () => {
    const result = evaluateTcb(inputs({ teeTcbSvn: undefined, moduleIdentity: undefined }));
    expect(result.status).toBe('UpToDate');
    expect(result.tdxStatus).toBeUndefined();
  });

  it('walks levels in Intel order whatever the order in the file', () => {
    const json = JSON.parse(text) as { tcbLevels: unknown[] };
    json.tcbLevels.reverse();
    const reversed = parseTcbInfo(JSON.stringify(json), 'reversed TCB Info');
    expect(reversed.tcbLevels.map((level) => level.tcbDate)).toEqual(
      TCB_INFO.tcbLevels.map((level) => level.tcbDate),
    );
    expect(evaluateTcb(inputs({ tcbInfo: reversed })).status).toBe('UpToDate');
  });
});
