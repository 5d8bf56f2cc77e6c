import { open, type FileHandle } from 'node:fs/promises';
import { isErrno } from '../../util/fs.js';
import {
  ELF_HEADER,
  ELF_HEADER_SIZE,
  ELF_MAGIC,
  ELFCLASS64,
  ELFDATA2LSB,
  EM_X86_64,
  ET_CORE,
  EV_CURRENT,
  PF_R,
  PF_W,
  PF_X,
  PN_XNUM,
  PROGRAM_HEADER,
  PROGRAM_HEADER_SIZE,
  PT_LOAD,
  PT_NOTE,
  SECTION_HEADER,
  SECTION_HEADER_SIZE,
} from '../elf/layout.js';
import { ScanError } from '../errors.js';
import { readMaps, readableMappings, type Mapping } from '../sources/process.js';
import { processNotes } from './notes.js';

/** Options of {@link dumpProcess}. */
export interface DumpOptions {
  readonly pid: number;
  /** Core file to create (mode 0600). */
  readonly output: string;
  /** Replace an existing output file; default false. */
  readonly force?: boolean | undefined;
  /** Stop the process with SIGSTOP while its memory is copied, then SIGCONT; default false. */
  readonly freeze?: boolean | undefined;
  readonly onProgress?: ((copiedBytes: number, totalBytes: number) => void) | undefined;
}

/** Result of {@link dumpProcess}. */
export interface DumpResult {
  readonly pid: number;
  readonly output: string;
  /** Size of the core file; zero pages are holes, so it takes less disk space. */
  readonly fileBytes: number;
  readonly memoryBytes: number;
  readonly segments: number;
  readonly threads: number;
  /** Readable mappings that failed to read; their bytes are zeros in the core. */
  readonly unreadable: readonly {
    readonly name: string;
    readonly address: string;
    readonly reason: string;
  }[];
  readonly seconds: number;
}

const PAGE = 4096;
const COPY_BYTES = 1 << 20;

function flagsOf(permissions: string): number {
  return (
    (permissions[0] === 'r' ? PF_R : 0) |
    (permissions[1] === 'w' ? PF_W : 0) |
    (permissions[2] === 'x' ? PF_X : 0)
  );
}

function put(
  out: Buffer,
  base: number,
  field: { offset: number; size: number },
  value: number | bigint,
) {
  const at = base + field.offset;
  if (field.size === 1) out.writeUInt8(Number(value), at);
  else if (field.size === 2) out.writeUInt16LE(Number(value), at);
  else if (field.size === 4) out.writeUInt32LE(Number(value), at);
  else out.writeBigUInt64LE(BigInt(value), at);
}

interface Layout {
  headers: Buffer;
  segments: { mapping: Mapping; offset: number; readable: boolean }[];
  fileBytes: number;
}

/** Lays out the core: ELF header, program headers, section 0 for PN_XNUM, notes, then memory. */
function layoutCore(
  mappings: readonly Mapping[],
  readable: ReadonlySet<Mapping>,
  notes: Buffer,
): Layout {
  const phnum = 1 + mappings.length;
  const extended = phnum >= PN_XNUM;
  const tableEnd = ELF_HEADER_SIZE + phnum * PROGRAM_HEADER_SIZE;
  const notesAt = tableEnd + (extended ? SECTION_HEADER_SIZE : 0);
  let cursor = Math.ceil((notesAt + notes.length) / PAGE) * PAGE;
  const headers = Buffer.alloc(notesAt + notes.length);

  headers.set(ELF_MAGIC, ELF_HEADER.magic.offset);
  put(headers, 0, ELF_HEADER.class, ELFCLASS64);
  put(headers, 0, ELF_HEADER.data, ELFDATA2LSB);
  put(headers, 0, ELF_HEADER.identVersion, EV_CURRENT);
  put(headers, 0, ELF_HEADER.type, ET_CORE);
  put(headers, 0, ELF_HEADER.machine, EM_X86_64);
  put(headers, 0, ELF_HEADER.version, EV_CURRENT);
  put(headers, 0, ELF_HEADER.phoff, ELF_HEADER_SIZE);
  put(headers, 0, ELF_HEADER.ehsize, ELF_HEADER_SIZE);
  put(headers, 0, ELF_HEADER.phentsize, PROGRAM_HEADER_SIZE);
  put(headers, 0, ELF_HEADER.phnum, extended ? PN_XNUM : phnum);
  if (extended) {
    put(headers, 0, ELF_HEADER.shoff, tableEnd);
    put(headers, 0, ELF_HEADER.shentsize, SECTION_HEADER_SIZE);
    put(headers, 0, ELF_HEADER.shnum, 1);
    put(headers, tableEnd, SECTION_HEADER.info, phnum);
  }

  put(headers, ELF_HEADER_SIZE, PROGRAM_HEADER.type, PT_NOTE);
  put(headers, ELF_HEADER_SIZE, PROGRAM_HEADER.offset, notesAt);
  put(headers, ELF_HEADER_SIZE, PROGRAM_HEADER.filesz, notes.length);
  put(headers, ELF_HEADER_SIZE, PROGRAM_HEADER.align, 4);
  notes.copy(headers, notesAt);

  const segments = mappings.map((mapping, i) => {
    const base = ELF_HEADER_SIZE + (i + 1) * PROGRAM_HEADER_SIZE;
    const size = mapping.end - mapping.start;
    const isReadable = readable.has(mapping);
    put(headers, base, PROGRAM_HEADER.type, PT_LOAD);
    put(headers, base, PROGRAM_HEADER.flags, flagsOf(mapping.permissions));
    put(headers, base, PROGRAM_HEADER.offset, cursor);
    put(headers, base, PROGRAM_HEADER.vaddr, mapping.start);
    put(headers, base, PROGRAM_HEADER.filesz, isReadable ? size : 0n);
    put(headers, base, PROGRAM_HEADER.memsz, size);
    put(headers, base, PROGRAM_HEADER.align, PAGE);
    const segment = { mapping, offset: cursor, readable: isReadable };
    if (isReadable) cursor += Number(size);
    return segment;
  });
  return { headers, segments, fileBytes: cursor };
}

/** Copies one mapping into the core, skipping zero pages; returns why it stopped early, if it did. */
async function copySegment(
  memory: FileHandle,
  output: FileHandle,
  segment: Layout['segments'][number],
  buffer: Buffer,
  onCopied: (bytes: number) => void,
): Promise<string | undefined> {
  const size = Number(segment.mapping.end - segment.mapping.start);
  for (let done = 0; done < size; done += buffer.length) {
    const length = Math.min(buffer.length, size - done);
    let bytesRead: number;
    try {
      ({ bytesRead } = await memory.read(buffer, 0, length, Number(segment.mapping.start) + done));
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    for (let page = 0; page < bytesRead; page += PAGE) {
      const bytes = buffer.subarray(page, Math.min(bytesRead, page + PAGE));
      if (!isZero(bytes)) await output.write(bytes, 0, bytes.length, segment.offset + done + page);
    }
    onCopied(length);
    if (bytesRead < length) return `read ended after ${done + bytesRead} of ${size} bytes`;
  }
  return undefined;
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Writes the memory of a live process as an ELF core file that readelf, gdb and `scan` read:
 * one PT_LOAD per mapping (unreadable ones with no file bytes), process and thread notes, and
 * holes for zero pages. Only x86-64 is supported.
 *
 * @example
 * const result = await dumpProcess({ pid: 1234, output: 'mariadbd.core' });
 */
export async function dumpProcess(options: DumpOptions): Promise<DumpResult> {
  if (process.arch !== 'x64') {
    throw new ScanError(
      'DUMP_FAILED',
      `process dumps are written for x86-64 only, not ${process.arch}`,
      {
        hint: 'use gcore from gdb on this machine',
      },
    );
  }
  const started = performance.now();
  const mappings = (await readMaps(options.pid)).filter((m) => m.path !== '[vsyscall]');
  const readable = new Set(readableMappings(mappings));
  const { notes, threads } = await processNotes(options.pid, mappings);
  const layout = layoutCore(mappings, readable, notes);

  let output;
  try {
    output = await open(options.output, options.force ? 'w' : 'wx', 0o600);
  } catch (error) {
    if (isErrno(error, 'EEXIST')) {
      throw new ScanError('DUMP_FAILED', `${options.output} already exists`, {
        hint: 'choose another path or pass --force',
        cause: error,
      });
    }
    throw new ScanError(
      'DUMP_FAILED',
      `cannot create ${options.output}: ${(error as Error).message}`,
      { cause: error },
    );
  }

  const memory = await open(`/proc/${options.pid}/mem`, 'r');
  const unreadable: DumpResult['unreadable'][number][] = [];
  const memoryBytes = layout.segments
    .filter((s) => s.readable)
    .reduce((sum, s) => sum + Number(s.mapping.end - s.mapping.start), 0);
  let copied = 0;
  if (options.freeze) process.kill(options.pid, 'SIGSTOP');
  try {
    await output.truncate(layout.fileBytes);
    await output.write(layout.headers, 0, layout.headers.length, 0);
    const buffer = Buffer.alloc(COPY_BYTES);
    for (const segment of layout.segments.filter((s) => s.readable)) {
      const reason = await copySegment(memory, output, segment, buffer, (bytes) => {
        copied += bytes;
        options.onProgress?.(copied, memoryBytes);
      });
      if (reason) {
        unreadable.push({
          name: segment.mapping.path || '[anonymous]',
          address: `0x${segment.mapping.start.toString(16)}`,
          reason,
        });
      }
    }
  } finally {
    if (options.freeze) process.kill(options.pid, 'SIGCONT');
    await memory.close();
    await output.close();
  }

  return {
    pid: options.pid,
    output: options.output,
    fileBytes: layout.fileBytes,
    memoryBytes,
    segments: mappings.length,
    threads,
    unreadable,
    seconds: (performance.now() - started) / 1000,
  };
}
