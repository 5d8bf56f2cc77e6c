import { ScanError } from '../errors.js';
import {
  ELF_HEADER,
  ELF_HEADER_SIZE,
  ELF_MAGIC,
  ELFCLASS64,
  ELFDATA2LSB,
  ET_CORE,
  PN_XNUM,
  PROGRAM_HEADER,
  PROGRAM_HEADER_SIZE,
  PT_LOAD,
  SECTION_HEADER,
  SECTION_HEADER_SIZE,
} from './layout.js';

/** One program header of an ELF file. */
export interface ProgramHeader {
  readonly index: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
}

/** The parts of an ELF64 core file that locate its memory. */
export interface ElfCore {
  readonly type: number;
  readonly machine: number;
  readonly programHeaders: readonly ProgramHeader[];
  /** End of the program header table (and section header 0, when present) in the file. */
  readonly headersEnd: bigint;
}

/** Reads `length` bytes at `position`, returning fewer at the end of the file. */
export type ReadAt = (position: bigint, length: number) => Promise<Uint8Array>;

function elfInvalid(name: string, message: string): ScanError {
  return new ScanError('ELF_INVALID', `${name}: ${message}`, {
    hint: 'pass --format raw to scan the file as plain bytes',
  });
}

function truncatedHeaders(name: string, what: string, needed: bigint, size: bigint): ScanError {
  return new ScanError(
    'ELF_TRUNCATED',
    `${name} is truncated: the ${what} needs bytes up to offset ${needed} but the file has ${size}; nothing was scanned`,
    { hint: 'copy the dump again, or pass --format raw to scan the bytes that are there' },
  );
}

/** Returns true when the bytes start with the ELF magic number. */
export function isElf(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((byte, i) => bytes[i] === byte);
}

function readField(view: DataView, base: number, field: { offset: number; size: number }): bigint {
  const at = base + field.offset;
  switch (field.size) {
    case 1:
      return BigInt(view.getUint8(at));
    case 2:
      return BigInt(view.getUint16(at, true));
    case 4:
      return BigInt(view.getUint32(at, true));
    default:
      return view.getBigUint64(at, true);
  }
}

/**
 * Parses the header and program headers of an ELF64 little-endian file. e_ehsize is not checked
 * because QEMU 7.2 writes a wrong one; PN_XNUM is resolved through section header 0.
 */
export async function parseElfCore(name: string, size: bigint, readAt: ReadAt): Promise<ElfCore> {
  const head = await readAt(0n, ELF_HEADER_SIZE);
  if (head.length < ELF_HEADER_SIZE) {
    throw truncatedHeaders(name, 'ELF header', BigInt(ELF_HEADER_SIZE), size);
  }
  if (!isElf(head)) throw elfInvalid(name, 'not an ELF file (bad magic number)');
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const field = (f: { offset: number; size: number }) => readField(view, 0, f);
  if (
    field(ELF_HEADER.class) !== BigInt(ELFCLASS64) ||
    field(ELF_HEADER.data) !== BigInt(ELFDATA2LSB)
  ) {
    throw new ScanError(
      'SOURCE_UNSUPPORTED',
      `${name}: only 64-bit little-endian ELF files are supported`,
      {
        hint: 'pass --format raw to scan the file as plain bytes',
      },
    );
  }

  const type = Number(field(ELF_HEADER.type));
  const phoff = field(ELF_HEADER.phoff);
  const phentsize = Number(field(ELF_HEADER.phentsize));
  let phnum = Number(field(ELF_HEADER.phnum));
  let headersEnd = BigInt(ELF_HEADER_SIZE);
  if (phentsize !== PROGRAM_HEADER_SIZE && phnum !== 0) {
    throw elfInvalid(
      name,
      `program header entries are ${phentsize} bytes, expected ${PROGRAM_HEADER_SIZE}`,
    );
  }

  if (phnum === PN_XNUM) {
    const shoff = field(ELF_HEADER.shoff);
    const section = await readAt(shoff, SECTION_HEADER_SIZE);
    if (section.length < SECTION_HEADER_SIZE) {
      throw truncatedHeaders(
        name,
        'section header 0 (PN_XNUM)',
        shoff + BigInt(SECTION_HEADER_SIZE),
        size,
      );
    }
    const sectionView = new DataView(section.buffer, section.byteOffset, section.byteLength);
    phnum = Number(readField(sectionView, 0, SECTION_HEADER.info));
    headersEnd = shoff + BigInt(SECTION_HEADER_SIZE);
  }

  const tableBytes = phnum * PROGRAM_HEADER_SIZE;
  const table = tableBytes === 0 ? new Uint8Array(0) : await readAt(phoff, tableBytes);
  if (table.length < tableBytes) {
    throw truncatedHeaders(
      name,
      `program header table (${phnum} entries)`,
      phoff + BigInt(tableBytes),
      size,
    );
  }
  const tableEnd = phoff + BigInt(tableBytes);
  if (tableEnd > headersEnd) headersEnd = tableEnd;

  const tableView = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const programHeaders: ProgramHeader[] = [];
  for (let index = 0; index < phnum; index++) {
    const base = index * PROGRAM_HEADER_SIZE;
    const read = (f: { offset: number; size: number }) => readField(tableView, base, f);
    programHeaders.push({
      index,
      type: Number(read(PROGRAM_HEADER.type)),
      flags: Number(read(PROGRAM_HEADER.flags)),
      offset: read(PROGRAM_HEADER.offset),
      vaddr: read(PROGRAM_HEADER.vaddr),
      paddr: read(PROGRAM_HEADER.paddr),
      filesz: read(PROGRAM_HEADER.filesz),
      memsz: read(PROGRAM_HEADER.memsz),
    });
  }
  return { type, machine: Number(field(ELF_HEADER.machine)), programHeaders, headersEnd };
}

/** PT_LOAD headers that carry bytes in the file. */
export function loadSegments(core: ElfCore): ProgramHeader[] {
  return core.programHeaders.filter((header) => header.type === PT_LOAD && header.filesz > 0n);
}

/**
 * Returns whether the dump's addresses are guest-physical (QEMU and libvirt dumps set p_paddr) or
 * process-virtual (gcore and kernel cores leave p_paddr at 0).
 */
export function addressSpaceOf(core: ElfCore): 'physical' | 'virtual' {
  const loads = loadSegments(core);
  return core.type === ET_CORE && loads.length > 0 && loads.every((h) => h.paddr === 0n)
    ? 'virtual'
    : 'physical';
}
