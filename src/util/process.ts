import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrno } from './fs.js';

/** Returns true when a process with this pid exists (signal 0 probes without sending). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to another user.
    return isErrno(error, 'EPERM');
  }
}

/** Returns the command line of a process as its argument list, or undefined when it is gone. */
export async function readProcessCommandLine(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((part) => part.length > 0);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ESRCH')) return undefined;
    throw error;
  }
}

/** Returns true when the process exists and has not exited (a zombie has exited). */
export async function isProcessRunning(pid: number): Promise<boolean> {
  return isProcessAlive(pid) && !(await isZombie(pid));
}

/** Waits until the process exits; returns false when it still runs after `timeoutMs`. */
export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isProcessRunning(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

async function isZombie(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Returns when the process started, from /proc/PID/stat, or undefined when it cannot tell. */
export async function readProcessStartTime(pid: number): Promise<Date | undefined> {
  try {
    const [stat, uptime] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile('/proc/uptime', 'utf8'),
    ]);
    // Field 22 (starttime) counts clock ticks since boot. The command name in field 2 may
    // contain spaces, so the fields are split after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    // /proc reports times in USER_HZ units, which the Linux ABI fixes at 100 per second.
    const clockTicksPerSecond = 100;
    const systemUptimeSeconds = Number(uptime.split(' ')[0]);
    const ageSeconds = systemUptimeSeconds - startTicks / clockTicksPerSecond;
    return new Date(Date.now() - ageSeconds * 1000);
  } catch {
    return undefined;
  }
}
