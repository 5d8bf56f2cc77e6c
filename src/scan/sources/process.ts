import { open, readFile } from 'node:fs/promises';
import { isErrno } from '../../util/fs.js';
import { ScanError } from '../errors.js';
import type { OpenedSource, Region } from './types.js';

/** One line of /proc/PID/maps. */
export interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly permissions: string;
  readonly offset: bigint;
  readonly device: string;
  readonly inode: number;
  readonly path: string;
}

// Kernel pages mapped into every process that /proc/PID/mem cannot read (EIO).
const KERNEL_MAPPINGS = new Set(['[vvar]', '[vvar_vclock]', '[vsyscall]']);

/** Parses /proc/PID/maps text. */
export function parseMaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/.exec(line);
    if (!match) continue;
    mappings.push({
      start: BigInt(`0x${match[1]}`),
      end: BigInt(`0x${match[2]}`),
      permissions: match[3]!,
      offset: BigInt(`0x${match[4]}`),
      device: match[5]!,
      inode: Number(match[6]),
      path: match[7]!,
    });
  }
  return mappings;
}

/** Mappings whose bytes /proc/PID/mem can return. */
export function readableMappings(mappings: readonly Mapping[]): Mapping[] {
  return mappings.filter((m) => m.permissions.startsWith('r') && !KERNEL_MAPPINGS.has(m.path));
}

/** Reads /proc/PID/maps, turning errors into PROCESS_NOT_FOUND or PROCESS_UNREADABLE. */
export async function readMaps(pid: number): Promise<Mapping[]> {
  try {
    const text = await readFile(`/proc/${pid}/maps`, 'utf8');
    // Opening mem checks the ptrace access mode that reading it needs.
    await (await open(`/proc/${pid}/mem`, 'r')).close();
    return parseMaps(text);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ESRCH')) {
      throw new ScanError('PROCESS_NOT_FOUND', `no process with pid ${pid}`, {
        hint: 'check the pid, for example with: pgrep mariadbd',
        cause: error,
      });
    }
    if (isErrno(error, 'EACCES') || isErrno(error, 'EPERM')) {
      throw new ScanError(
        'PROCESS_UNREADABLE',
        `the memory of process ${pid} is not readable by this user`,
        {
          hint: 'run as root, or as the same user with ptrace permitted (sysctl kernel.yama.ptrace_scope=0)',
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** Opens the readable memory of a live process, one region per mapping. */
export async function openProcess(pid: number, source: number): Promise<OpenedSource> {
  const mappings = readableMappings(await readMaps(pid));
  const regions: Region[] = mappings.map((m) => ({
    source,
    length: Number(m.end - m.start),
    read: { kind: 'file', path: `/proc/${pid}/mem`, position: Number(m.start) },
    name: m.path || '[anonymous]',
    address: m.start,
    addressSpace: 'virtual',
  }));
  return {
    summary: {
      name: `pid ${pid}`,
      kind: 'process',
      bytes: regions.reduce((sum, r) => sum + r.length, 0),
      regions: regions.length,
      addressSpace: 'virtual',
      detail: `${regions.length} readable mappings of /proc/${pid}/maps`,
    },
    regions,
    skipped: [],
    excluded: [],
    problems: [],
    pid,
  };
}
