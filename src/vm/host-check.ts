import { findTdvf, isTdvfImage, TDVF_CANDIDATES } from './firmware.js';
import {
  domainCapsSupportTdx,
  evaluateTdxKernelLog,
  isCharacterDevice,
  readCpuFlags,
  readSysValue,
  unixSocketAccepts,
  vsockListening,
} from './host-probes.js';
import { readKernelLog } from './guest-check.js';
import { findExecutable } from '../mariadb/binaries.js';
import { runTool } from './tools.js';
import { compareVersions, MIN_LIBVIRT_TDX, MIN_QEMU_TDX, parseQemuVersion } from './versions.js';
import { Virsh } from './virsh.js';

/** pass: ready for TDs; fail: blocks TDs; warn: TDs run but something is missing; unknown: not readable. */
export type HostCheckStatus = 'pass' | 'fail' | 'warn' | 'unknown';

/** One row of `host check`. */
export interface HostCheckItem {
  readonly id: string;
  readonly title: string;
  readonly status: HostCheckStatus;
  readonly found: string;
  readonly needed: string;
}

/** The result of `host check`. */
export interface HostCheckReport {
  /** True when no check failed: TDs can be launched on this host. */
  readonly tdxReady: boolean;
  readonly checks: readonly HostCheckItem[];
}

/** Local places the checks read; tests and unusual installations override them. */
export interface HostCheckOptions {
  readonly connect?: string | undefined;
  /** UNIX socket of the quote generation service (upstream libvirt's default path). */
  readonly qgsSocket?: string | undefined;
  /** vsock port of the quote generation service (Canonical's qgsd). */
  readonly qgsVsockPort?: number | undefined;
  readonly readKernelLog?: (() => Promise<string | undefined>) | undefined;
}

export const DEFAULT_QGS_SOCKET = '/var/run/tdx-qgs/qgs.socket';
export const DEFAULT_QGS_VSOCK_PORT = 4050;

/**
 * Checks whether this host can launch TDs: TDX enabled in KVM and initialized by the kernel,
 * the CPU flag, QEMU and libvirt new enough, TDVF firmware, and a local quote generation
 * service. Only local files, programs and sockets are read; no remote host is contacted.
 */
export async function checkHost(options: HostCheckOptions = {}): Promise<HostCheckReport> {
  const checks: HostCheckItem[] = [
    await kvmDevice(),
    await tdxModuleParameter(),
    tdxKernelLog(await (options.readKernelLog ?? readKernelLog)()),
    await cpuFlag(),
    await qemuSupport(),
    await libvirtSupport(options.connect),
    await tdvf(),
    await quoteService(
      options.qgsSocket ?? DEFAULT_QGS_SOCKET,
      options.qgsVsockPort ?? DEFAULT_QGS_VSOCK_PORT,
    ),
    await vhostVsock(),
  ];
  return { tdxReady: checks.every((check) => check.status !== 'fail'), checks };
}

async function kvmDevice(): Promise<HostCheckItem> {
  const present = await isCharacterDevice('/dev/kvm');
  return {
    id: 'kvm',
    title: 'KVM device',
    status: present ? 'pass' : 'fail',
    found: present ? '/dev/kvm' : '/dev/kvm missing',
    needed: '/dev/kvm',
  };
}

async function tdxModuleParameter(): Promise<HostCheckItem> {
  const value = await readSysValue('/sys/module/kvm_intel/parameters/tdx');
  return {
    id: 'tdx-kvm-parameter',
    title: 'TDX enabled in KVM',
    status: value === 'Y' ? 'pass' : 'fail',
    found:
      value === undefined
        ? '/sys/module/kvm_intel/parameters/tdx missing'
        : `kvm_intel tdx=${value}`,
    needed: 'kvm_intel tdx=Y (Linux 6.16+ or a TDX host kernel)',
  };
}

function tdxKernelLog(log: string | undefined): HostCheckItem {
  const finding = evaluateTdxKernelLog(log);
  const base = {
    id: 'tdx-kernel-log',
    title: 'TDX module initialized',
    needed: "'virt/tdx: module initialized'",
  };
  switch (finding.state) {
    case 'initialized':
      return { ...base, status: 'pass', found: finding.line ?? '' };
    case 'failed':
      return { ...base, status: 'fail', found: `${finding.line} (check the BIOS and TDX module)` };
    case 'absent':
      return { ...base, status: 'fail', found: 'no TDX module messages' };
    case 'unreadable':
      return { ...base, status: 'unknown', found: 'kernel log not readable (run as root)' };
  }
}

async function cpuFlag(): Promise<HostCheckItem> {
  const flags = await readCpuFlags();
  const present = flags?.has('tdx_host_platform') === true;
  return {
    id: 'cpu-flag',
    title: 'CPU reports TDX host platform',
    status: present ? 'pass' : 'fail',
    found: present ? 'tdx_host_platform' : 'no tdx_host_platform flag',
    needed: 'tdx_host_platform (TDX on in the BIOS)',
  };
}

async function qemuSupport(): Promise<HostCheckItem> {
  const base = {
    id: 'qemu',
    title: 'QEMU with TDX',
    needed: `${MIN_QEMU_TDX}+ or Canonical's TDX build`,
  };
  const qemu = await findExecutable('qemu-system-x86_64');
  if (!qemu)
    return { ...base, status: 'fail', found: 'not installed (apt-get install qemu-system-x86)' };

  const version = parseQemuVersion((await runTool(qemu, ['--version'])).stdout) ?? 'unknown';
  const objects = await runTool(qemu, ['-object', 'help']);
  const tdx = /^\s*tdx-guest\s*$/m.test(objects.stdout);
  const hint =
    !tdx && compareVersions(version, MIN_QEMU_TDX) < 0 ? `, older than ${MIN_QEMU_TDX}` : '';
  return {
    ...base,
    status: tdx ? 'pass' : 'fail',
    found: `QEMU ${version}, ${tdx ? 'has' : 'lacks'} tdx-guest${hint}`,
  };
}

async function libvirtSupport(connect: string | undefined): Promise<HostCheckItem> {
  const base = {
    id: 'libvirt',
    title: 'libvirt with TDX',
    needed: `${MIN_LIBVIRT_TDX}+ or Canonical's TDX build (optional with --qemu)`,
  };
  let virsh: Virsh;
  try {
    virsh = await Virsh.locate(connect);
  } catch {
    return {
      ...base,
      status: 'warn',
      found: 'virsh not installed (apt-get install libvirt-clients)',
    };
  }

  const daemon = await virsh.daemonVersion();
  if (daemon === undefined) {
    return { ...base, status: 'warn', found: 'no libvirt daemon responds' };
  }
  const caps = await virsh.run([
    'domcapabilities',
    '--virttype',
    'kvm',
    '--arch',
    'x86_64',
    '--machine',
    'q35',
  ]);
  const tdx = caps.code === 0 && domainCapsSupportTdx(caps.stdout);
  const dialect = compareVersions(daemon, MIN_LIBVIRT_TDX) >= 0 ? 'upstream' : 'canonical';
  return {
    ...base,
    status: tdx ? 'pass' : 'warn',
    found: tdx
      ? `libvirt ${daemon} with launchSecurity tdx (--dialect ${dialect})`
      : `libvirt ${daemon} without launchSecurity tdx`,
  };
}

async function tdvf(): Promise<HostCheckItem> {
  const base = { id: 'tdvf', title: 'TDVF firmware', needed: 'a TDVF image, or --firmware' };
  const found = await findTdvf();
  if (!found) {
    return { ...base, status: 'fail', found: `none of ${TDVF_CANDIDATES.join(', ')}` };
  }
  if (await isTdvfImage(found)) {
    return { ...base, status: 'pass', found: `${found} (TDVF metadata present)` };
  }
  return {
    ...base,
    status: 'warn',
    found: `${found} (no TDVF metadata: QEMU cannot launch a TD with it)`,
  };
}

async function quoteService(socket: string, vsockPort: number): Promise<HostCheckItem> {
  const base = {
    id: 'qgs',
    title: 'quote generation service',
    needed: `${socket} or vsock port ${vsockPort} (for quotes only)`,
  };
  if (await unixSocketAccepts(socket))
    return { ...base, status: 'pass', found: `${socket} accepts connections` };

  const ss = await findExecutable('ss');
  const listeners = ss ? await runTool(ss, ['-H', '-l', '--vsock']) : undefined;
  if (listeners?.code === 0 && vsockListening(listeners.stdout, vsockPort)) {
    return { ...base, status: 'pass', found: `vsock port ${vsockPort} is listening` };
  }
  return { ...base, status: 'warn', found: 'no local service responds' };
}

async function vhostVsock(): Promise<HostCheckItem> {
  const present = await isCharacterDevice('/dev/vhost-vsock');
  return {
    id: 'vhost-vsock',
    title: 'vsock for guests',
    status: present ? 'pass' : 'warn',
    found: present ? '/dev/vhost-vsock' : '/dev/vhost-vsock missing: VMs get no vsock CID',
    needed: '/dev/vhost-vsock (modprobe vhost_vsock)',
  };
}
