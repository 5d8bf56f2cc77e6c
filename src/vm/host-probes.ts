import { readFile, stat } from 'node:fs/promises';
import { createConnection } from 'node:net';

/** Kernel messages of the TDX host code (arch/x86/virt/vmx/tdx), old and new wording. */
const TDX_INITIALIZED =
  /virt\/tdx: module initialized|TDX[- ]Module initialized|tdx: TDX module initialized/i;
const TDX_FAILED =
  /virt\/tdx: module initialization failed|Failed to initialize TDX module|SEAMCALL.*failed/i;

/** State of the TDX module according to the kernel log. */
export interface TdxKernelLogFinding {
  readonly state: 'initialized' | 'failed' | 'absent' | 'unreadable';
  /** The deciding line, when there is one. */
  readonly line?: string | undefined;
}

/** Looks for the TDX module's initialization result in kernel log text. */
export function evaluateTdxKernelLog(log: string | undefined): TdxKernelLogFinding {
  if (log === undefined) return { state: 'unreadable' };
  const lines = log.split('\n');
  const failed = lines.find((line) => TDX_FAILED.test(line));
  if (failed) return { state: 'failed', line: stripTimestamp(failed) };
  const initialized = lines.find((line) => TDX_INITIALIZED.test(line));
  if (initialized) return { state: 'initialized', line: stripTimestamp(initialized) };
  return { state: 'absent' };
}

function stripTimestamp(line: string): string {
  return line.replace(/^\[[^\]]*\]\s*/, '').trim();
}

/** Reads a one-line sysfs or procfs value; undefined when it does not exist. */
export async function readSysValue(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Reads the CPU flags of the first processor in /proc/cpuinfo. */
export async function readCpuFlags(path = '/proc/cpuinfo'): Promise<Set<string> | undefined> {
  const text = await readSysValue(path);
  if (text === undefined) return undefined;
  const line = text.split('\n').find((l) => /^flags\s*:/.test(l));
  return new Set((line?.split(':')[1] ?? '').trim().split(/\s+/));
}

export async function isCharacterDevice(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isCharacterDevice();
  } catch {
    return false;
  }
}

/**
 * Tells whether a UNIX socket accepts connections. It connects and closes without sending a
 * byte, so the service receives only an empty connection.
 */
export function unixSocketAccepts(path: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    const finish = (result: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Finds a listening vsock port in `ss -H -l --vsock` output (local addresses like `*:4050`). */
export function vsockListening(ssOutput: string, port: number): boolean {
  return ssOutput
    .split('\n')
    .some((line) => line.split(/\s+/).some((field) => field.endsWith(`:${port}`)));
}

/** Reads libvirt domain capabilities XML for a TDX launch security entry. */
export function domainCapsSupportTdx(xml: string): boolean {
  const launchSecurity = /<launchSecurity supported=['"]yes['"]>([\s\S]*?)<\/launchSecurity>/.exec(
    xml,
  )?.[1];
  return launchSecurity !== undefined && /<value>tdx<\/value>/.test(launchSecurity);
}
