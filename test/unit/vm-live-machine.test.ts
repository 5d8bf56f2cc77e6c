import { describe, expect, it } from 'vitest';
import { renderDomainXml } from '../../src/vm/domain-xml.js';
import { leakVerdict } from '../../src/vm/leak-test.js';
import { parseDomainXml, parseQemuCommandLine } from '../../src/vm/live-machine.js';
import { buildQemuArgs } from '../../src/vm/qemu-args.js';
import { decodeTdAttributes, PRODUCTION_TD_POLICY } from '../../src/vm/td-policy.js';
import { regularSpec, tdSpec } from '../helpers/vm-spec.js';

const control = { qmpSocket: '/run/vm/qmp.sock', pidFile: '/run/vm/qemu.pid' };

describe('parseQemuCommandLine', () => {
  it('reads a TD command line', () => {
    const args = buildQemuArgs(
      tdSpec({ td: { ...tdSpec().td!, policy: 0x10000001n } }),
      control,
      'upstream',
    );
    expect(parseQemuCommandLine(['qemu-system-x86_64', ...args])).toEqual({
      accel: 'kvm',
      tdx: true,
      tdPolicy: '0x10000001',
    });
  });

  it('reads a regular VM under TCG', () => {
    const args = buildQemuArgs(regularSpec({ accel: 'tcg' }), control, 'upstream');
    expect(parseQemuCommandLine(args)).toEqual({ accel: 'tcg', tdx: false, tdPolicy: undefined });
  });

  it('reads key=value objects and -machine accel', () => {
    const args = ['-machine', 'q35,accel=tcg', '-object', 'tdx-guest,id=tdx0,attributes=268435456'];
    expect(parseQemuCommandLine(args)).toEqual({ accel: 'tcg', tdx: true, tdPolicy: '0x10000000' });
  });
});

describe('parseDomainXml', () => {
  it('reads launchSecurity of a TD', () => {
    expect(parseDomainXml(renderDomainXml(tdSpec(), 'upstream'))).toEqual({
      accel: 'kvm',
      tdx: true,
      tdPolicy: '0x10000000',
    });
  });

  it('reads a regular VM under TCG', () => {
    const live = parseDomainXml(renderDomainXml(regularSpec({ accel: 'tcg' }), 'upstream'));
    expect(live).toEqual({ accel: 'tcg', tdx: false, tdPolicy: undefined });
  });
});

describe('leakVerdict with the running VM', () => {
  const production = decodeTdAttributes(PRODUCTION_TD_POLICY);

  it('flags a TD under TCG', () => {
    const live = { accel: 'tcg', tdx: true, tdPolicy: '0x10000000' } as const;
    expect(leakVerdict('td', production, 0, 0, live)).toBe('not-a-td');
  });

  it('flags a TD without TDX', () => {
    const live = { accel: 'kvm', tdx: false, tdPolicy: undefined } as const;
    expect(leakVerdict('td', production, 0, 0, live)).toBe('not-a-td');
  });

  it('keeps a real TD protected', () => {
    const live = { accel: 'kvm', tdx: true, tdPolicy: '0x10000000' } as const;
    expect(leakVerdict('td', production, 0, 0, live)).toBe('protected');
  });
});
