import { describe, expect, it } from 'vitest';
import {
  domainCapsSupportTdx,
  evaluateTdxKernelLog,
  vsockListening,
} from '../../src/vm/host-probes.js';
import { decodeTdAttributes, parseTdPolicy, PRODUCTION_TD_POLICY } from '../../src/vm/td-policy.js';
import { compareVersions, parseQemuVersion } from '../../src/vm/versions.js';

describe('evaluateTdxKernelLog', () => {
  it.each([
    ['[    5.1] virt/tdx: module initialized', 'initialized'],
    ['[    5.1] tdx: TDX-Module initialized', 'initialized'],
    ['[    5.1] virt/tdx: module initialization failed (-5)', 'failed'],
    ['[    5.1] kvm_intel: Failed to initialize TDX module.', 'failed'],
    ['[    0.0] Linux version 6.1.0', 'absent'],
  ])('reads %j as %s', (line, state) => {
    expect(evaluateTdxKernelLog(line).state).toBe(state);
  });

  it('prefers a failure over an earlier success line', () => {
    const log = 'virt/tdx: module initialized\nvirt/tdx: module initialization failed (-5)';
    expect(evaluateTdxKernelLog(log).state).toBe('failed');
  });

  it('reports an unreadable log', () => {
    expect(evaluateTdxKernelLog(undefined).state).toBe('unreadable');
  });
});

describe('vsockListening', () => {
  it('finds a listener on the port', () => {
    expect(vsockListening('v_str LISTEN 0 5 *:4050 *:*\n', 4050)).toBe(true);
    expect(vsockListening('v_str LISTEN 0 5 *:40500 *:*\n', 4050)).toBe(false);
  });
});

describe('domainCapsSupportTdx', () => {
  it('needs a supported launchSecurity with tdx', () => {
    const yes =
      "<launchSecurity supported='yes'><enum name='sectype'><value>tdx</value></enum></launchSecurity>";
    const no = "<launchSecurity supported='no'/>";
    expect(domainCapsSupportTdx(yes)).toBe(true);
    expect(domainCapsSupportTdx(no)).toBe(false);
  });
});

describe('TD policy', () => {
  it('decodes the production policy as debug off', () => {
    const attributes = decodeTdAttributes(PRODUCTION_TD_POLICY);
    expect(attributes.value).toBe('0x10000000');
    expect(attributes.debug).toBe(false);
    expect(attributes.septVeDisable).toBe(true);
  });

  it('reports the debug bit', () => {
    expect(decodeTdAttributes(parseTdPolicy('0x10000001')!).debug).toBe(true);
  });

  it('rejects a malformed policy', () => {
    expect(parseTdPolicy('0xZZ')).toBeUndefined();
  });
});

describe('versions', () => {
  it('compares dotted versions', () => {
    expect(compareVersions('11.6.0', '11.6')).toBe(0);
    expect(compareVersions('9.0.0', '11.6.0')).toBe(-1);
    expect(compareVersions('12.9', '11.6.0')).toBe(1);
  });

  it('reads the QEMU version', () => {
    expect(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)')).toBe(
      '7.2.22',
    );
  });
});
