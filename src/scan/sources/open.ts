import { open, readFile, stat } from 'node:fs/promises';
import { isErrno } from '../../util/fs.js';
import { ScanError } from '../errors.js';
import { isElf } from '../elf/parse.js';
import { openDirectory } from './directory.js';
import { openElf } from './elf.js';
import { kdumpVariant, openKdump } from './kdump.js';
import { openProcess } from './process.js';
import { fileIdentity, valuesFileExclusion, type OpenContext, type OpenedSource } from './types.js';
import { openUnsized } from './unsized.js';

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
  if (isErrno(error, 'ELOOP')) {
    return new ScanError('SOURCE_UNREADABLE', `${path} is a loop of symbolic links`, {
      hint: 'check where the links point, for example with: readlink -f PATH',
      cause: error,
    });
  }
  if (isErrno(error, 'ENOTDIR')) {
    return new ScanError('SOURCE_NOT_FOUND', `${path} does not exist: a part of it is a file`, {
      hint: 'check the path',
      cause: error,
    });
  }
  return new ScanError('SOURCE_UNREADABLE', `${path} cannot be read: ${(error as Error).message}`, {
    cause: error,
  });
}

function emptySource(name: string, kind: 'raw' | 'bytes'): OpenedSource {
  return {
    summary: { name, kind, bytes: 0, regions: 0 },
    regions: [],
    skipped: [],
    excluded: [],
    problems: [],
  };
}

/** Opens a file of unknown size (stat size 0), named as a source, by reading it to its end. */
async function openUnsizedPath(
  path: string,
  source: number,
  context: OpenContext,
): Promise<OpenedSource> {
  let content;
  try {
    content = await openUnsized(path, source, path, context, { follow: true });
  } catch (error) {
    throw sourceOpenError(path, error);
  }
  if (!content.region) return emptySource(path, 'raw');
  const length = content.region.length;
  return {
    summary: { name: path, kind: 'raw', bytes: length, regions: 1 },
    regions: [content.region],
    skipped: content.skipped ? [content.skipped] : [],
    excluded: [],
    problems: [],
  };
}

async function openPath(
  path: string,
  format: SourceFormat,
  source: number,
  context: OpenContext,
): Promise<OpenedSource> {
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    throw sourceOpenError(path, error);
  }
  if (stats.isDirectory()) {
    if (format === 'elf' || format === 'kdump') {
      throw new ScanError(
        'SOURCE_UNSUPPORTED',
        `${path} is a directory, and format ${format} applies to a single dump file`,
        { hint: 'name the dump file itself, or scan the directory without a format' },
      );
    }
    return openDirectory(path, source, context);
  }
  if (context.exclude.has(fileIdentity(stats))) {
    return { ...emptySource(path, 'raw'), excluded: [valuesFileExclusion(path, path)] };
  }
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
  if (size === 0 && stats.isFile() && (format === 'auto' || format === 'raw')) {
    return openUnsizedPath(path, source, context);
  }
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
    if (size === 0) return emptySource(path, 'raw');
    return {
      summary: { name: path, kind: 'raw', bytes: size, regions: 1 },
      regions: [{ source, length: size, read: { kind: 'file', path, position: 0 }, fileOffset: 0 }],
      skipped: [],
      excluded: [],
      problems: [],
    };
  } finally {
    await handle.close();
  }
}

/** Opens one scan input; `source` is its index in the report. */
export async function openSource(
  input: ScanSource,
  source: number,
  context: OpenContext,
): Promise<OpenedSource> {
  if (typeof input === 'string') return openPath(input, 'auto', source, context);
  if ('path' in input) return openPath(input.path, input.format ?? 'auto', source, context);
  if ('pid' in input) return openProcess(input.pid, source);
  const length = input.bytes.length;
  if (length === 0) return emptySource(input.name, 'bytes');
  return {
    summary: { name: input.name, kind: 'bytes', bytes: length, regions: 1 },
    regions: [{ source, length, read: { kind: 'bytes', data: input.bytes }, fileOffset: 0 }],
    skipped: [],
    excluded: [],
    problems: [],
  };
}
