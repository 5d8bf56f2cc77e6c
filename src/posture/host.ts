import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { Connection } from '../mariadb/connection.js';
import { readProcessCommandLine, isProcessRunning } from '../util/process.js';

/** The mount that contains a path, from /proc/self/mountinfo. */
export interface MountInfo {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
  /** Device number `major:minor`, used to find device-mapper (dm-crypt) targets. */
  readonly device: string;
}

/** An active swap area from /proc/swaps. */
export interface SwapArea {
  readonly path: string;
  readonly sizeKiB: number;
}

/**
 * Reads facts about the server's host that SQL cannot show: file permissions, the file system
 * under a directory, swap. Only available when the server runs on the machine of the check.
 */
export interface HostProbe {
  /** Permission bits of a file, or undefined when it does not exist. */
  fileMode(path: string): Promise<number | undefined>;
  /** Returns the mount that contains `path`, or undefined when the path does not exist. */
  mountOf(path: string): Promise<MountInfo | undefined>;
  /**
   * True when `path` is, or lies on, a block device that dm-crypt encrypts, directly or under
   * other device-mapper layers such as LVM.
   */
  isOnEncryptedDevice(path: string): Promise<boolean>;
  swapAreas(): Promise<SwapArea[]>;
}

/** Probes of the machine this process runs on, through /proc and /sys. */
export const localHostProbe: HostProbe = {
  async fileMode(path) {
    try {
      return (await stat(path)).mode & 0o777;
    } catch {
      return undefined;
    }
  },

  async mountOf(path) {
    let resolved: string;
    try {
      resolved = await realpath(path);
    } catch {
      return undefined;
    }
    const mounts = parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
    return longestMountPrefix(mounts, resolved);
  },

  async isOnEncryptedDevice(path) {
    try {
      const resolved = await realpath(path);
      if ((await stat(resolved)).isBlockDevice()) return isCryptDevice(basename(resolved));

      const mount = await localHostProbe.mountOf(resolved);
      if (!mount) return false;
      return isCryptDevice(basename(await realpath(`/sys/dev/block/${mount.device}`)));
    } catch {
      return false;
    }
  },

  async swapAreas() {
    try {
      return parseSwaps(await readFile('/proc/swaps', 'utf8'));
    } catch {
      return [];
    }
  },
};

// Device-mapper targets record their kind in dm/uuid (CRYPT-LUKS2-…, LVM-…); the devices they
// are built on are listed under slaves/.
async function isCryptDevice(name: string, depth = 0): Promise<boolean> {
  if (depth > 8) return false;
  const uuid = await readFile(`/sys/class/block/${name}/dm/uuid`, 'utf8').catch(() => '');
  if (uuid.startsWith('CRYPT-')) return true;

  const slaves = await readdir(`/sys/class/block/${name}/slaves`).catch(() => [] as string[]);
  for (const slave of slaves) {
    if (await isCryptDevice(slave, depth + 1)) return true;
  }
  return false;
}

/** Parses /proc/PID/mountinfo (proc(5)): fields before ` - `, then type and source. */
export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;

    const fields = left.split(' ');
    const [fsType, source] = right.split(' ');
    if (fields.length < 5 || !fsType) continue;
    mounts.push({
      mountPoint: unescapeMountField(fields[4]!),
      device: fields[2]!,
      fsType,
      source: unescapeMountField(source ?? ''),
    });
  }
  return mounts;
}

// The kernel writes space, tab, newline and backslash in mount fields as octal escapes.
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/** Returns the last listed mount whose mount point contains `path`, which is the one in effect. */
export function longestMountPrefix(mounts: readonly MountInfo[], path: string) {
  let best: MountInfo | undefined;
  for (const mount of mounts) {
    const prefix = mount.mountPoint.endsWith('/') ? mount.mountPoint : `${mount.mountPoint}/`;
    const covers = path === mount.mountPoint || path.startsWith(prefix);
    if (covers && (!best || mount.mountPoint.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}

/** Parses /proc/swaps: a header line, then path, type, size in KiB, used, priority. */
export function parseSwaps(text: string): SwapArea[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 3 && fields[0] !== '')
    .map((fields) => ({ path: fields[0]!, sizeKiB: Number(fields[2]) }));
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Tells whether the server behind `connection` runs on this machine: the host is a loopback
 * address and the pid in the server's pid file is a running mariadbd here. Only then are file
 * and swap probes about the server's host rather than some other machine.
 */
export async function isServerOnThisHost(connection: Connection, host: string): Promise<boolean> {
  if (!LOOPBACK.has(host)) return false;

  const [row] = (await connection.query('SELECT @@pid_file AS pidFile, @@datadir AS datadir')) as {
    pidFile: string | null;
    datadir: string | null;
  }[];
  if (!row?.pidFile) return false;
  const pidFile = isAbsolute(row.pidFile) ? row.pidFile : join(row.datadir ?? '', row.pidFile);

  let pid: number;
  try {
    pid = Number.parseInt((await readFile(pidFile, 'utf8')).trim(), 10);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !(await isProcessRunning(pid))) return false;

  const program = (await readProcessCommandLine(pid))?.[0];
  return program !== undefined && ['mariadbd', 'mysqld'].includes(basename(program));
}
