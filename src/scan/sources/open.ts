import { open, stat } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { isErrno } from '../../util/fs.js';
import { ScanError } from '../errors.js';
import { isElf } from '../elf/parse.js';
import { openDirectory } from './directory.js';
import { openElf } from './elf.js';
import { kdumpVariant, openKdump } from './kdump.js';
import { openProcess } from './process.js';
import type { OpenedSource } from './types.js';

/** How to read a file: detect from its first bytes, or force a format. */
export type SourceFormat = 'auto' | 'raw' | 'elf' | 'kdump';

/**
 * One input of a scan: a path (file, block device or directory tree), a live process, or bytes
 * in memory such as a captured TCP stream.
 */
export type ScanSource =
  | string
  | { readonly path: string; readonly format?: SourceFormat | undefined }
  | { readonly pid: number }
  | { readonly bytes: Uint8Array; readonly name: string };

const SNIFF_BYTES = 64;

/** Size of a block device from sysfs, in bytes (the kernel counts 512-byte sectors). */
async function blockDeviceSize(rdev: number): Promise<number> {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff);
  const sectors = await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8');
  return Number(sectors.trim()) * 512;
}

function sourceOpenError(path: string, error: unknown): ScanError {
  if (isErrno(error, 'ENOENT')) {
    return new ScanError('SOURCE_NOT_FOUND', `${path} does not exist`, {
      hint: 'check the path',
      cause: error,
    });
  }
  if (isErrno(error, 'EACCES') || isErrno(error, 'EPERM')) {
    return new ScanError('SOURCE_UNREADABLE', `${path} is not readable by this user`, {
      hint: 'run as a user that can read it, or as root',
      cause: error,
    });
  }
  return new ScanError('SOURCE_UNREADABLE', `${path} cannot be read: ${(error as Error).message}`, {
    cause: error,
  });
}

async function openPath(path: string, format: SourceFormat, source: number): Promise<OpenedSource> {
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    throw sourceOpenError(path, error);
  }
  if (stats.isDirectory()) return openDirectory(path, source);
  if (!stats.isFile() && !stats.isBlockDevice()) {
    throw new ScanError(
      'SOURCE_UNSUPPORTED',
      `${path} is not a regular file, block device or directory`,
      {
        hint: 'copy a pipe or socket stream into a file first',
      },
    );
  }

  const size = stats.isBlockDevice() ? await blockDeviceSize(stats.rdev) : stats.size;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw sourceOpenError(path, error);
  }
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    const sniffed = head.subarray(0, bytesRead);
    const variant = kdumpVariant(sniffed);
    let kind: SourceFormat = format;
    if (kind === 'auto') kind = isElf(sniffed) ? 'elf' : variant ? 'kdump' : 'raw';

    if (kind === 'elf') return await openElf(path, source, size, handle);
    if (kind === 'kdump') {
      if (!variant)
        throw new ScanError('KDUMP_INVALID', `${path} has no kdump or makedumpfile signature`);
      return openKdump(path, source, size, variant);
    }
    return {
      summary: { name: path, kind: 'raw', bytes: size, regions: size > 0 ? 1 : 0 },
      regions:
        size > 0
          ? [{ source, length: size, read: { kind: 'file', path, position: 0 }, fileOffset: 0 }]
          : [],
      skipped: [],
      problems: [],
    };
  } finally {
    await handle.close();
  }
}

/** Opens one scan input; `source` is its index in the report. */
export async function openSource(input: ScanSource, source: number): Promise<OpenedSource> {
  if (typeof input === 'string') return openPath(input, 'auto', source);
  if ('path' in input) return openPath(input.path, input.format ?? 'auto', source);
  if ('pid' in input) return openProcess(input.pid, source);
  const length = input.bytes.length;
  return {
    summary: { name: input.name, kind: 'bytes', bytes: length, regions: length > 0 ? 1 : 0 },
    regions:
      length > 0
        ? [{ source, length, read: { kind: 'bytes', data: input.bytes }, fileOffset: 0 }]
        : [],
    skipped: [],
    problems: [],
  };
}
