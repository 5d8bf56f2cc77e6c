import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkGuest } from '../../src/vm/guest-check.js';
import { checkHost } from '../../src/vm/host-check.js';
import { runCli } from '../helpers/cli.js';

// These tests read the machine they run on; they assert the verdict a host without TDX gets.
const tdxHost = existsSync('/sys/module/kvm_intel/parameters/tdx');
const tdGuest = existsSync('/dev/tdx_guest');

describe.skipIf(tdxHost)('host check on a host without TDX', () => {
  it('reports TDX as unavailable and names the KVM parameter', async () => {
    const report = await checkHost({ readKernelLog: async () => 'Linux version 6.1.0\n' });
    expect(report.tdxReady).toBe(false);
    const parameter = report.checks.find((check) => check.id === 'tdx-kvm-parameter');
    expect(parameter?.status).toBe('fail');
    expect(report.checks.find((check) => check.id === 'tdx-kernel-log')?.status).toBe('fail');
  });

  it('exits 1 and prints a table and a plain verdict', async () => {
    const result = await runCli(['host', 'check']);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/TDX enabled in KVM/);
    expect(result.stdout).toMatch(/TDs cannot be launched here/);
  });

  it('prints JSON with every check', async () => {
    const result = await runCli(['host', 'check', '--json']);
    const report = JSON.parse(result.stdout) as { tdxReady: boolean; checks: { id: string }[] };
    expect(report.tdxReady).toBe(false);
    expect(report.checks.map((check) => check.id)).toEqual([
      'kvm',
      'tdx-kvm-parameter',
      'tdx-kernel-log',
      'cpu-flag',
      'qemu',
      'libvirt',
      'tdvf',
      'qgs',
      'vhost-vsock',
    ]);
  });
});

describe.skipIf(tdGuest)('guest check outside a TD', () => {
  it('reports no TD and no quote interface', async () => {
    const report = await checkGuest({ readKernelLog: async () => 'Linux version 6.1.0\n' });
    expect(report.isTd).toBe(false);
    expect(report.quoteInterface).toBe(false);
    expect(report.checks.find((check) => check.id === 'td-detected')?.status).toBe('fail');
  });

  it('passes on a TD kernel log and CPU flag', async () => {
    const report = await checkGuest({
      cpuinfo: '/dev/null',
      readKernelLog: async () =>
        '[0.0] tdx: Guest detected\n[0.1] Memory Encryption Features active: Intel TDX\n',
    });
    expect(report.isTd).toBe(true);
  });

  it('exits 1 from the command line', async () => {
    const result = await runCli(['guest', 'check']);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/This is not a TD/);
  });
});
