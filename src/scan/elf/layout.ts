// ELF64 structures used by core files (System V ABI, "ELF Header", "Program Header", "Sections";
// Linux include/uapi/linux/elf.h for the core notes). Offsets in bytes, little-endian only.

interface Field {
  readonly offset: number;
  readonly size: number;
}

/** ELF64 file header, 64 bytes. */
export const ELF_HEADER = {
  magic: { offset: 0x00, size: 4 },
  class: { offset: 0x04, size: 1 },
  data: { offset: 0x05, size: 1 },
  identVersion: { offset: 0x06, size: 1 },
  osAbi: { offset: 0x07, size: 1 },
  identPadding: { offset: 0x08, size: 8 },
  type: { offset: 0x10, size: 2 },
  machine: { offset: 0x12, size: 2 },
  version: { offset: 0x14, size: 4 },
  entry: { offset: 0x18, size: 8 },
  phoff: { offset: 0x20, size: 8 },
  shoff: { offset: 0x28, size: 8 },
  flags: { offset: 0x30, size: 4 },
  ehsize: { offset: 0x34, size: 2 },
  phentsize: { offset: 0x36, size: 2 },
  phnum: { offset: 0x38, size: 2 },
  shentsize: { offset: 0x3a, size: 2 },
  shnum: { offset: 0x3c, size: 2 },
  shstrndx: { offset: 0x3e, size: 2 },
} as const satisfies Record<string, Field>;
export const ELF_HEADER_SIZE = 64;

/** ELF64 program header, 56 bytes. */
export const PROGRAM_HEADER = {
  type: { offset: 0x00, size: 4 },
  flags: { offset: 0x04, size: 4 },
  offset: { offset: 0x08, size: 8 },
  vaddr: { offset: 0x10, size: 8 },
  paddr: { offset: 0x18, size: 8 },
  filesz: { offset: 0x20, size: 8 },
  memsz: { offset: 0x28, size: 8 },
  align: { offset: 0x30, size: 8 },
} as const satisfies Record<string, Field>;
export const PROGRAM_HEADER_SIZE = 56;

/** ELF64 section header, 64 bytes; a core file has at most section 0, for PN_XNUM. */
export const SECTION_HEADER = {
  name: { offset: 0x00, size: 4 },
  type: { offset: 0x04, size: 4 },
  flags: { offset: 0x08, size: 8 },
  addr: { offset: 0x10, size: 8 },
  offset: { offset: 0x18, size: 8 },
  size: { offset: 0x20, size: 8 },
  link: { offset: 0x28, size: 4 },
  info: { offset: 0x2c, size: 4 },
  addralign: { offset: 0x30, size: 8 },
  entsize: { offset: 0x38, size: 8 },
} as const satisfies Record<string, Field>;
export const SECTION_HEADER_SIZE = 64;

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ET_CORE = 4;
export const EM_X86_64 = 62;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
/** e_phnum value meaning "the count is in section header 0's sh_info". */
export const PN_XNUM = 0xffff;

/** Core note types (Linux include/uapi/linux/elf.h). */
export const NT_PRSTATUS = 1;
export const NT_PRPSINFO = 3;
export const NT_AUXV = 6;
export const NT_FILE = 0x46494c45;

/** x86-64 `struct elf_prstatus`, 336 bytes; registers in `struct user_regs_struct` order. */
export const PRSTATUS_X86_64 = {
  signal: { offset: 0, size: 4 },
  pid: { offset: 32, size: 4 },
  ppid: { offset: 36, size: 4 },
  pgrp: { offset: 40, size: 4 },
  sid: { offset: 44, size: 4 },
  registers: { offset: 112, size: 27 * 8 },
  fpvalid: { offset: 328, size: 4 },
} as const satisfies Record<string, Field>;
export const PRSTATUS_X86_64_SIZE = 336;
export const REGISTER_INDEX_X86_64 = { rip: 16, rsp: 19 } as const;

/** x86-64 `struct elf_prpsinfo`, 136 bytes. */
export const PRPSINFO_X86_64 = {
  state: { offset: 0, size: 1 },
  stateName: { offset: 1, size: 1 },
  zombie: { offset: 2, size: 1 },
  nice: { offset: 3, size: 1 },
  flag: { offset: 8, size: 8 },
  uid: { offset: 16, size: 4 },
  gid: { offset: 20, size: 4 },
  pid: { offset: 24, size: 4 },
  ppid: { offset: 28, size: 4 },
  pgrp: { offset: 32, size: 4 },
  sid: { offset: 36, size: 4 },
  fileName: { offset: 40, size: 16 },
  arguments: { offset: 56, size: 80 },
} as const satisfies Record<string, Field>;
export const PRPSINFO_X86_64_SIZE = 136;
