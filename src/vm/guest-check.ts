import { mkdir, readFile, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../util/fs.js';
import { runTool } from './tools.js';

/** Result of one guest check. */
export type CheckStatus = 'pass' | 'fail' | 'unknown';

/** One line of the guest check: what was looked at, what was found, what a TD shows. */
export interface GuestCheckItem {
  readonly id: 'td-detected' | 'memory-encryption' | 'tdx-guest-device' | 'quote-interface';
  readonly title: string;
  readonly status: CheckStatus;
  readonly observed: string;
  readonly expected: string;
}

/** Findings of `guest check` inside the VM it runs in. */
export interface GuestCheckReport {
  /** True when the kernel runs as a TDX guest with memory encryption active. */
  readonly isTd: boolean;
  /** True when a TD quote can be requested through configfs-tsm. */
  readonly quoteInterface: boolean;
  readonly checks: readonly GuestCheckItem[];
}

/** Files and readers the checks use; tests point them at prepared files. */
export interface GuestCheckSources {
  readonly cpuinfo?: string | undefined;
  readonly tdxGuestDevice?: string | undefined;
  readonly tsmReportDir?: string | undefined;
  /** Returns the kernel log, or undefined when it cannot be read. */
  readonly readKernelLog?: (() => Promise<string | undefined>) | undefined;
}

// Kernel messages of a TDX guest (arch/x86/coco/tdx/tdx.c, arch/x86/mm/mem_encrypt.c).
const TD_DETECTED_LOG = /tdx: Guest detected/;
const MEMORY_ENCRYPTION_LOG = /Memory Encryption Features active:.*\bIntel TDX\b/;

/**
 * Checks, from inside a VM, that it runs as a TD: the kernel detected TDX, memory encryption
 * is active, and the configfs-tsm quote interface is there. Reading the kernel log and creating
 * a report directory need root; without it those checks report `unknown`.
 */
export async function checkGuest(sources: GuestCheckSources = {}): Promise<GuestCheckReport> {
  const kernelLog = await (sources.readKernelLog ?? readKernelLog)();
  const cpuFlags = await readCpuFlags(sources.cpuinfo ?? '/proc/cpuinfo');

  const checks = [
    tdDetected(cpuFlags, kernelLog),
    memoryEncryption(kernelLog),
    await tdxGuestDevice(sources.tdxGuestDevice ?? '/dev/tdx_guest'),
    await quoteInterface(sources.tsmReportDir ?? '/sys/kernel/config/tsm/report'),
  ];
  const passed = (id: GuestCheckItem['id']) => checks.find((c) => c.id === id)?.status === 'pass';
  return {
    isTd: passed('td-detected') && passed('memory-encryption'),
    quoteInterface: passed('quote-interface'),
    checks,
  };
}

function tdDetected(
  cpuFlags: Set<string> | undefined,
  kernelLog: string | undefined,
): GuestCheckItem {
  const base = {
    id: 'td-detected' as const,
    title: 'TD detected',
    expected: "CPU flag tdx_guest and 'tdx: Guest detected' in the kernel log",
  };
  if (cpuFlags?.has('tdx_guest') || (kernelLog && TD_DETECTED_LOG.test(kernelLog))) {
    const evidence = cpuFlags?.has('tdx_guest')
      ? 'CPU flag tdx_guest'
      : "kernel log 'tdx: Guest detected'";
    return { ...base, status: 'pass', observed: evidence };
  }
  if (cpuFlags === undefined && kernelLog === undefined) {
    return {
      ...base,
      status: 'unknown',
      observed: 'neither /proc/cpuinfo nor the kernel log is readable',
    };
  }
  return { ...base, status: 'fail', observed: 'no tdx_guest CPU flag: this is not a TD' };
}

function memoryEncryption(kernelLog: string | undefined): GuestCheckItem {
  const base = {
    id: 'memory-encryption' as const,
    title: 'memory encryption active',
    expected: "'Memory Encryption Features active: Intel TDX' in the kernel log",
  };
  if (kernelLog === undefined) {
    return { ...base, status: 'unknown', observed: 'kernel log not readable (run as root)' };
  }
  const line = kernelLog.split('\n').find((l) => /Memory Encryption Features active/.test(l));
  if (line && MEMORY_ENCRYPTION_LOG.test(line)) {
    return { ...base, status: 'pass', observed: line.replace(/^\[[^\]]*\]\s*/, '').trim() };
  }
  return {
    ...base,
    status: 'fail',
    observed: line ? line.trim() : 'no memory encryption line in the kernel log',
  };
}

async function tdxGuestDevice(path: string): Promise<GuestCheckItem> {
  const base = {
    id: 'tdx-guest-device' as const,
    title: 'TDX guest device',
    expected: `${path} (TD reports, Linux 6.2 or later)`,
  };
  try {
    const info = await stat(path);
    return {
      ...base,
      status: info.isCharacterDevice() ? 'pass' : 'fail',
      observed: `${path} exists`,
    };
  } catch {
    return { ...base, status: 'fail', observed: `${path} does not exist` };
  }
}

/**
 * Creates a configfs-tsm report directory and reads its provider, which the kernel sets to
 * `tdx_guest` in a TD. No quote is generated, so the check works without a quote service.
 */
async function quoteInterface(reportDir: string): Promise<GuestCheckItem> {
  const base = {
    id: 'quote-interface' as const,
    title: 'quote interface (configfs-tsm)',
    expected: `${reportDir} with provider tdx_guest (Linux 6.7 or later)`,
  };
  try {
    await stat(reportDir);
  } catch {
    return { ...base, status: 'fail', observed: `${reportDir} does not exist` };
  }

  const probe = join(reportDir, `mariadb-tdx-check-${process.pid}`);
  try {
    await mkdir(probe);
  } catch (error) {
    const reason =
      isErrno(error, 'EACCES') || isErrno(error, 'EPERM') ? 'run as root' : String(error);
    return { ...base, status: 'unknown', observed: `cannot create a report directory (${reason})` };
  }
  try {
    const provider = (await readFile(join(probe, 'provider'), 'utf8')).trim();
    return {
      ...base,
      status: provider === 'tdx_guest' ? 'pass' : 'fail',
      observed: `provider ${provider}`,
    };
  } catch {
    return { ...base, status: 'fail', observed: 'the report directory has no provider' };
  } finally {
    await rmdir(probe).catch(() => undefined);
  }
}

async function readCpuFlags(path: string): Promise<Set<string> | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    const line = text.split('\n').find((l) => /^flags\s*:/.test(l));
    return new Set((line?.split(':')[1] ?? '').trim().split(/\s+/));
  } catch {
    return undefined;
  }
}

/** Reads the kernel ring buffer with dmesg; undefined when it is not readable. */
export async function readKernelLog(): Promise<string | undefined> {
  try {
    const result = await runTool('dmesg', [], { timeoutMs: 10_000 });
    return result.code === 0 ? result.stdout : undefined;
  } catch {
    return undefined;
  }
}
