import type { Mapping } from '../sources/process.js';
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

// Layout of a process core file: ELF header, program headers, section 0 for PN_XNUM, notes,
// then the memory of each readable mapping at a page-aligned offset.

/** Page size of x86-64 and the alignment of PT_LOAD file offsets. */
export const PAGE = 4096;

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

/** Headers and where each mapping's bytes go in the core file. */
export interface Layout {
  headers: Buffer;
  segments: { mapping: Mapping; offset: number; readable: boolean }[];
  fileBytes: number;
}

/** Lays out the core: ELF header, program headers, section 0 for PN_XNUM, notes, then memory. */
export function layoutCore(
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
