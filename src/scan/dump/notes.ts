import { readFile, readdir } from 'node:fs/promises';
import {
  NT_AUXV,
  NT_FILE,
  NT_PRPSINFO,
  NT_PRSTATUS,
  PRPSINFO_X86_64,
  PRPSINFO_X86_64_SIZE,
  PRSTATUS_X86_64,
  PRSTATUS_X86_64_SIZE,
  REGISTER_INDEX_X86_64,
} from '../elf/layout.js';
import type { Mapping } from '../sources/process.js';

const PAGE_SIZE = 4096;

/** Encodes one ELF note: namesz, descsz, type, then name and descriptor padded to 4 bytes. */
export function encodeNote(name: string, type: number, descriptor: Uint8Array): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'latin1');
  const pad = (n: number) => Math.ceil(n / 4) * 4;
  const out = Buffer.alloc(12 + pad(nameBytes.length) + pad(descriptor.length));
  out.writeUInt32LE(nameBytes.length, 0);
  out.writeUInt32LE(descriptor.length, 4);
  out.writeUInt32LE(type, 8);
  nameBytes.copy(out, 12);
  out.set(descriptor, 12 + pad(nameBytes.length));
  return out;
}

/** Process identity from /proc/PID/stat. */
interface ProcessStat {
  state: string;
  ppid: number;
  pgrp: number;
  sid: number;
  name: string;
}

/** Reads the fields of /proc/PID/stat that a core needs, such as the state letter. */
export async function readProcessStat(pid: number): Promise<ProcessStat> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    state: fields[0]!,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    sid: Number(fields[3]),
    name,
  };
}

async function prpsinfo(pid: number): Promise<Buffer> {
  const stat = await readProcessStat(pid);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const id = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  const commandLine = (await readFile(`/proc/${pid}/cmdline`))
    .toString('latin1')
    .replaceAll('\0', ' ')
    .trim();

  const out = Buffer.alloc(PRPSINFO_X86_64_SIZE);
  out.write(stat.state, PRPSINFO_X86_64.stateName.offset, 'latin1');
  out.writeUInt32LE(id('Uid'), PRPSINFO_X86_64.uid.offset);
  out.writeUInt32LE(id('Gid'), PRPSINFO_X86_64.gid.offset);
  out.writeUInt32LE(pid, PRPSINFO_X86_64.pid.offset);
  out.writeUInt32LE(stat.ppid, PRPSINFO_X86_64.ppid.offset);
  out.writeUInt32LE(stat.pgrp, PRPSINFO_X86_64.pgrp.offset);
  out.writeUInt32LE(stat.sid, PRPSINFO_X86_64.sid.offset);
  out.write(
    stat.name.slice(0, PRPSINFO_X86_64.fileName.size - 1),
    PRPSINFO_X86_64.fileName.offset,
    'latin1',
  );
  out.write(
    commandLine.slice(0, PRPSINFO_X86_64.arguments.size - 1),
    PRPSINFO_X86_64.arguments.offset,
    'latin1',
  );
  return out;
}

/**
 * Reads the stack and instruction pointers of a thread blocked in the kernel, from
 * /proc/PID/task/TID/syscall (its last two fields); undefined for a running thread.
 */
async function threadPointers(
  pid: number,
  tid: number,
): Promise<{ sp: bigint; pc: bigint } | undefined> {
  try {
    const fields = (await readFile(`/proc/${pid}/task/${tid}/syscall`, 'utf8')).trim().split(' ');
    if (fields.length < 3) return undefined;
    return { sp: BigInt(fields[fields.length - 2]!), pc: BigInt(fields[fields.length - 1]!) };
  } catch {
    return undefined;
  }
}

async function prstatus(pid: number, tid: number, stat: ProcessStat): Promise<Buffer> {
  const out = Buffer.alloc(PRSTATUS_X86_64_SIZE);
  out.writeUInt32LE(tid, PRSTATUS_X86_64.pid.offset);
  out.writeUInt32LE(stat.ppid, PRSTATUS_X86_64.ppid.offset);
  out.writeUInt32LE(stat.pgrp, PRSTATUS_X86_64.pgrp.offset);
  out.writeUInt32LE(stat.sid, PRSTATUS_X86_64.sid.offset);
  const pointers = await threadPointers(pid, tid);
  if (pointers) {
    const registers = PRSTATUS_X86_64.registers.offset;
    out.writeBigUInt64LE(pointers.pc, registers + 8 * REGISTER_INDEX_X86_64.rip);
    out.writeBigUInt64LE(pointers.sp, registers + 8 * REGISTER_INDEX_X86_64.rsp);
  }
  return out;
}

/** NT_FILE: the file-backed mappings, so that debuggers can find the mapped files. */
function fileNote(mappings: readonly Mapping[]): Buffer {
  const files = mappings.filter((m) => m.path.startsWith('/'));
  const header = Buffer.alloc(16 + files.length * 24);
  header.writeBigUInt64LE(BigInt(files.length), 0);
  header.writeBigUInt64LE(BigInt(PAGE_SIZE), 8);
  files.forEach((m, i) => {
    header.writeBigUInt64LE(m.start, 16 + i * 24);
    header.writeBigUInt64LE(m.end, 24 + i * 24);
    header.writeBigUInt64LE(m.offset / BigInt(PAGE_SIZE), 32 + i * 24);
  });
  const names = Buffer.from(files.map((m) => `${m.path}\0`).join(''), 'utf8');
  return Buffer.concat([header, names]);
}

/**
 * Builds the PT_NOTE contents of a process core as the Linux kernel writes them: NT_PRSTATUS for
 * the main thread first, NT_PRPSINFO, NT_AUXV and NT_FILE, then NT_PRSTATUS for other threads.
 * Only the stack and instruction pointers of blocked threads are known without ptrace; the
 * other registers are zero.
 */
export async function processNotes(
  pid: number,
  mappings: readonly Mapping[],
): Promise<{ notes: Buffer; threads: number }> {
  const stat = await readProcessStat(pid);
  // The main thread (tid = pid) comes first, as the kernel writes it.
  const others = (await readdir(`/proc/${pid}/task`)).map(Number).filter((tid) => tid !== pid);
  const threads = [pid, ...others.sort((a, b) => a - b)];
  const auxv = await readFile(`/proc/${pid}/auxv`);
  const statuses = await Promise.all(threads.map((tid) => prstatus(pid, tid, stat)));

  const notes = [
    encodeNote('CORE', NT_PRSTATUS, statuses[0]!),
    encodeNote('CORE', NT_PRPSINFO, await prpsinfo(pid)),
    encodeNote('CORE', NT_AUXV, auxv),
    encodeNote('CORE', NT_FILE, fileNote(mappings)),
    ...statuses.slice(1).map((status) => encodeNote('CORE', NT_PRSTATUS, status)),
  ];
  return { notes: Buffer.concat(notes), threads: threads.length };
}
