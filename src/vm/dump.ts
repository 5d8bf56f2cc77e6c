import { stat, statfs, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathExists } from '../util/fs.js';
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
  await prepareOutput(file, options.force === true);
  if (format !== 'elf') await requireFormat(await backend.dumpFormats(record, layout), format);
  if (format === 'elf' && options.checkSpace !== false) await requireSpace(file, record.memoryMiB);

  const started = Date.now();
  try {
    await backend.dump(record, layout, file, format, options.onProgress);
  } catch (error) {
    throw await dumpFailure(file, format, error);
  }
  const bytes = (await stat(file)).size;
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

async function prepareOutput(file: string, force: boolean) {
  if (await pathExists(file)) {
    if (!force) {
      throw new VmError('DUMP_EXISTS', `${file} exists`, {
        hint: 'choose another -o, or pass --force to replace it',
      });
    }
    await unlink(file);
  }
  if (!(await pathExists(dirname(file)))) {
    throw new VmError('DUMP_FAILED', `directory ${dirname(file)} does not exist`);
  }
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
async function dumpFailure(file: string, format: DumpFormat, error: unknown): Promise<VmError> {
  const free = await freeBytes(dirname(file));
  const removed = await unlink(file).then(
    () => true,
    () => false,
  );
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
