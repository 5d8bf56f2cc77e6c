import type { FileHandle } from 'node:fs/promises';
import { formatBytes } from '../format.js';
import { addressSpaceOf, loadSegments, parseElfCore, type ProgramHeader } from '../elf/parse.js';
import type { OpenedSource, Region, ScanProblem } from './types.js';

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** Describes how much of each PT_LOAD a truncated file still holds. */
const MAX_LISTED_SEGMENTS = 3;

function truncationMessage(
  path: string,
  size: number,
  loads: readonly ProgramHeader[],
  space: string,
): string {
  const expected = loads.reduce(
    (max, h) => (h.offset + h.filesz > max ? h.offset + h.filesz : max),
    0n,
  );
  const parts: string[] = [];
  for (const header of loads) {
    const end = header.offset + header.filesz;
    if (end <= BigInt(size)) continue;
    const address = space === 'physical' ? header.paddr : header.vaddr;
    const present = header.offset >= BigInt(size) ? 0n : BigInt(size) - header.offset;
    parts.push(
      present === 0n
        ? `PT_LOAD ${header.index} (${space} ${hex(address)}, ${formatBytes(Number(header.filesz))}) is missing`
        : `PT_LOAD ${header.index} (${space} ${hex(address)}) has ${formatBytes(Number(present))} of ${formatBytes(Number(header.filesz))}, up to ${space} ${hex(address + present)}`,
    );
  }
  // A dump cut early misses most of its segments, and the first few show where it ends.
  const shown = parts.slice(0, MAX_LISTED_SEGMENTS);
  if (parts.length > shown.length) {
    shown.push(`${parts.length - shown.length} more PT_LOAD segments are missing or cut`);
  }
  return (
    `${path} is truncated: ${formatBytes(size)} read of the ${formatBytes(Number(expected))} its program headers describe; ` +
    `${shown.join('; ')}; the scan covered only the bytes present`
  );
}

/** Bytes of the file outside every PT_LOAD: headers, notes and padding. */
function metadataRegions(
  source: number,
  path: string,
  size: number,
  loads: readonly ProgramHeader[],
): Region[] {
  const covered = loads
    .map(
      (h) =>
        [Math.min(size, Number(h.offset)), Math.min(size, Number(h.offset + h.filesz))] as const,
    )
    .sort((a, b) => a[0] - b[0]);
  const regions: Region[] = [];
  let cursor = 0;
  for (const [start, end] of [...covered, [size, size] as const]) {
    if (start > cursor) {
      regions.push({
        source,
        length: start - cursor,
        read: { kind: 'file', path, position: cursor },
        name: 'ELF headers and notes',
        fileOffset: cursor,
      });
    }
    cursor = Math.max(cursor, end);
  }
  return regions;
}

/** Opens an ELF core (QEMU, libvirt, gcore or `mariadb-tdx dump`) as one region per PT_LOAD. */
export async function openElf(
  path: string,
  source: number,
  size: number,
  handle: FileHandle,
): Promise<OpenedSource> {
  const core = await parseElfCore(path, BigInt(size), async (position, length) => {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, Number(position));
    return buffer.subarray(0, bytesRead);
  });
  const space = addressSpaceOf(core);
  const loads = loadSegments(core);

  const regions: Region[] = [];
  for (const header of loads) {
    const present = Math.max(0, Math.min(Number(header.filesz), size - Number(header.offset)));
    if (present === 0) continue;
    regions.push({
      source,
      length: present,
      read: { kind: 'file', path, position: Number(header.offset) },
      name: `PT_LOAD ${header.index}`,
      fileOffset: Number(header.offset),
      address: space === 'physical' ? header.paddr : header.vaddr,
      addressSpace: space,
      virtualAddress:
        space === 'physical' && header.vaddr !== header.paddr ? header.vaddr : undefined,
    });
  }
  for (const region of metadataRegions(source, path, size, loads)) regions.push(region);

  const problems: ScanProblem[] = [];
  if (loads.some((h) => h.offset + h.filesz > BigInt(size))) {
    problems.push({
      source: path,
      code: 'ELF_TRUNCATED',
      message: truncationMessage(path, size, loads, space),
    });
  }
  return {
    summary: {
      name: path,
      kind: 'elf',
      bytes: regions.reduce((sum, r) => sum + r.length, 0),
      regions: regions.length,
      addressSpace: space,
      detail: `ELF core, ${loads.length} PT_LOAD segments, ${space} addresses`,
    },
    regions,
    skipped: [],
    excluded: [],
    problems,
  };
}
