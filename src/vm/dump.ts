import { randomBytes } from 'node:crypto';
import { link, lstat, rename, stat, statfs, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isErrno } from '../util/fs.js';
import { DUMP_FORMATS, type DumpFormat, type DumpProgress } from './backend.js';
import { backendFor } from './backends.js';
import { VmError } from './errors.js';
import { vmLayout } from './layout.js';
import { readVmRecord, type VmRecord } from './registry.js';

/** Options of {@link dumpVm}. */
export interface DumpVmOptions {
  readonly vmRoot: string;
  readonly name: string;
  readonly output: string;
  readonly format?: DumpFormat | undefined;
  /** Replaces an existing output file. */
  readonly force?: boolean | undefined;
  /** Checks free space before an ELF dump; default true. */
  readonly checkSpace?: boolean | undefined;
  readonly onProgress?: ((progress: DumpProgress) => void) | undefined;
  /**
   * Aborting stops the dump with INTERRUPTED once QEMU has finished writing, because QEMU has no
   * command that cancels a dump; the partial file is removed.
   */
  readonly signal?: AbortSignal | undefined;
  /** Called once when an abort has to wait for QEMU to finish the dump. */
  readonly onWaitAfterAbort?: (() => void) | undefined;
}

/** Summary of the dump file that {@link dumpVm} wrote. */
export interface DumpResult {
  readonly vm: string;
  readonly kind: VmRecord['kind'];
  readonly file: string;
  readonly format: DumpFormat;
  readonly bytes: number;
  readonly seconds: number;
  readonly tdPolicy?: string | undefined;
}

// Beyond RAM, an ELF dump contains notes, program headers and ROM regions.
const ELF_OVERHEAD_BYTES = 64 * 1024 * 1024;
const NO_SPACE = /No space left on device|ENOSPC|File too large|EFBIG/i;
const NEARLY_FULL_BYTES = 1024 * 1024;

/**
 * Writes a host-side memory dump of a running VM: `virsh dump --memory-only` or QMP
 * `dump-guest-memory` without paging, so every PT_LOAD maps guest-physical addresses. The guest
 * is paused while QEMU writes. A failed dump leaves no partial file behind.
 */
export async function dumpVm(options: DumpVmOptions): Promise<DumpResult> {
  const record = await readVmRecord(options.vmRoot, options.name);
  const layout = vmLayout(options.vmRoot, options.name);
  const backend = backendFor(record);
  const file = resolve(options.output);
  const format = options.format ?? 'elf';
  if (!DUMP_FORMATS.includes(format)) {
    throw new VmError(
      'DUMP_FORMAT_UNSUPPORTED',
      `dump format ${format} is not one of ${DUMP_FORMATS.join(', ')}`,
    );
  }

  const state = await backend.state(record, layout);
  if (state !== 'running' && state !== 'paused') {
    throw new VmError(
      'VM_NOT_RUNNING',
      `${options.name} is ${state}; only a running VM has memory to dump`,
    );
  }
  const force = options.force === true;
  await checkOutput(file, force);
  if (format !== 'elf') await requireFormat(await backend.dumpFormats(record, layout), format);
  if (format === 'elf' && options.checkSpace !== false) await requireSpace(file, record.memoryMiB);

  // QEMU writes to a temporary name beside the output, so an existing file is replaced only by
  // a complete dump, and a failed or interrupted one never leaves a partial file under the name.
  const partial = join(
    dirname(file),
    `.${basename(file)}.${randomBytes(6).toString('hex')}.partial`,
  );
  const started = Date.now();
  try {
    await backend.dump(record, layout, partial, format, {
      onProgress: options.onProgress,
      signal: options.signal,
      onWaitAfterAbort: options.onWaitAfterAbort,
    });
  } catch (error) {
    throw await dumpFailure(file, partial, format, error);
  }
  if (options.signal?.aborted) {
    await unlink(partial).catch(() => undefined);
    throw interrupted(file);
  }
  const bytes = (await stat(partial)).size;
  await publishDump(partial, file, force);
  return {
    vm: record.name,
    kind: record.kind,
    file,
    format,
    bytes,
    seconds: (Date.now() - started) / 1000,
    tdPolicy: record.tdPolicy,
  };
}

/**
 * Rejects an output path that is not a regular file even with --force: replacing a device node,
 * a directory or a symbolic link with a dump is never what a user meant.
 */
async function checkOutput(file: string, force: boolean) {
  const directory = dirname(file);
  // The directory itself may be reached through a link; only the file must not be one.
  const parent = await stat(directory).catch(() => undefined);
  if (!parent?.isDirectory()) {
    throw new VmError('DUMP_FAILED', `directory ${directory} does not exist`, {
      hint: 'create it, or choose another -o',
    });
  }

  let existing;
  try {
    existing = await lstat(file);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return;
    throw error;
  }
  if (!existing.isFile()) {
    throw new VmError(
      'DUMP_EXISTS',
      `${file} exists and is ${describeFileType(existing)}, not a regular file`,
      {
        hint: 'choose another -o; --force replaces only a regular file',
      },
    );
  }
  if (!force) {
    throw new VmError('DUMP_EXISTS', `${file} exists`, {
      hint: 'choose another -o, or pass --force to replace it',
    });
  }
}

function describeFileType(entry: Awaited<ReturnType<typeof lstat>>): string {
  if (entry.isDirectory()) return 'a directory';
  if (entry.isSymbolicLink()) return 'a symbolic link';
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'a device';
  if (entry.isFIFO()) return 'a FIFO';
  if (entry.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Moves the complete dump to its name. Without --force, link(2) fails with EEXIST when a file
 * appeared there meanwhile, so nothing is overwritten. With --force, the name is checked once
 * more and rename(2) then replaces the regular file atomically.
 */
async function publishDump(partial: string, file: string, force: boolean) {
  try {
    if (force) {
      await checkOutput(file, true);
      await rename(partial, file);
    } else {
      await link(partial, file);
      await unlink(partial);
    }
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    if (isErrno(error, 'EEXIST')) {
      throw new VmError(
        'DUMP_EXISTS',
        `${file} appeared while the dump was written; the dump was removed`,
        {
          hint: 'choose another -o, or pass --force to replace it',
        },
      );
    }
    throw error;
  }
}

function interrupted(file: string): VmError {
  return new VmError(
    'INTERRUPTED',
    `the dump to ${file} was interrupted; the partial file was removed`,
  );
}

async function requireFormat(available: DumpFormat[], format: DumpFormat) {
  if (!available.includes(format)) {
    throw new VmError(
      'DUMP_FORMAT_UNSUPPORTED',
      `this QEMU cannot write ${format} dumps; it offers ${available.join(', ') || 'none of ' + DUMP_FORMATS.join(', ')}`,
      { hint: 'use --format elf, which every QEMU writes' },
    );
  }
}

async function requireSpace(file: string, memoryMiB: number) {
  const free = (await freeBytes(dirname(file))) ?? Number.POSITIVE_INFINITY;
  const needed = memoryMiB * 1024 * 1024 + ELF_OVERHEAD_BYTES;
  if (free < needed) {
    throw new VmError(
      'DUMP_NO_SPACE',
      `${dirname(file)} has ${formatMiB(free)} free; an ELF dump of ${memoryMiB} MiB of guest memory needs about ${formatMiB(needed)}`,
      {
        hint: 'write the dump to a larger file system, or use --format kdump-zlib, which compresses',
      },
    );
  }
}

/**
 * Turns a failed dump into DUMP_NO_SPACE or DUMP_FAILED and removes the partial file. QEMU's
 * message does not always carry the errno ("failed to write page data" for kdump formats), so
 * a file system left with almost no free space also counts as out of space.
 */
async function dumpFailure(
  file: string,
  partial: string,
  format: DumpFormat,
  error: unknown,
): Promise<VmError> {
  const free = await freeBytes(dirname(file));
  const removed = await unlink(partial).then(
    () => true,
    () => false,
  );
  if (error instanceof VmError && error.code === 'INTERRUPTED') return interrupted(file);
  const message = error instanceof Error ? error.message : String(error);
  const note = removed ? '; the partial file was removed' : '';
  if (NO_SPACE.test(message) || (free !== undefined && free < NEARLY_FULL_BYTES)) {
    return new VmError('DUMP_NO_SPACE', `the dump to ${file} ran out of space: ${message}${note}`, {
      hint:
        format === 'elf'
          ? 'free space or choose another -o; --format kdump-zlib needs much less'
          : 'free space or choose another -o',
      cause: error,
    });
  }
  return new VmError('DUMP_FAILED', `the dump to ${file} failed: ${message}${note}`, {
    cause: error,
  });
}

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const fs = await statfs(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

function formatMiB(bytes: number): string {
  return `${Math.floor(bytes / (1024 * 1024))} MiB`;
}
