import type { MachineSpec } from '../../src/vm/spec.js';
import { PRODUCTION_TD_POLICY } from '../../src/vm/td-policy.js';

/** A regular VM as vm create builds it, with fixed paths and ports. */
export function regularSpec(overrides: Partial<MachineSpec> = {}): MachineSpec {
  return {
    name: 'mariadb-tdx-regular-1',
    kind: 'regular',
    accel: 'kvm',
    memoryMiB: 2048,
    cpus: 2,
    overlay: '/var/lib/mariadb-tdx/vms/regular-1/overlay.qcow2',
    baseImage: '/images/base.qcow2',
    seedIso: '/var/lib/mariadb-tdx/vms/regular-1/seed.iso',
    consoleLog: '/var/lib/mariadb-tdx/vms/regular-1/console.log',
    mac: '52:54:00:12:34:56',
    forwards: [
      { service: 'ssh', hostPort: 40022, guestPort: 22 },
      { service: 'mariadb', hostPort: 43306, guestPort: 3306 },
    ],
    egress: true,
    vsock: true,
    ...overrides,
  };
}

/** The TD counterpart: same machine plus TDX launch security. */
export function tdSpec(overrides: Partial<MachineSpec> = {}): MachineSpec {
  return regularSpec({
    name: 'mariadb-tdx-td-1',
    kind: 'td',
    td: {
      policy: PRODUCTION_TD_POLICY,
      firmware: '/usr/share/ovmf/OVMF.tdx.fd',
      quoteGenerationService: { type: 'unix', path: '/var/run/tdx-qgs/qgs.socket' },
    },
    ...overrides,
  });
}
