import { closeSync, openSync, readSync } from 'node:fs';
import { ScanError } from '../errors.js';
import { KdumpLogicalFile } from './kdump-file.js';
import {
  COMPRESSION,
  DISKDUMP_HEADER,
  DISKDUMP_HEADER_SIZE,
  FLATTENED_HEADER_SIZE,
  FLATTENED_RECORD_SIZE,
  FLATTENED_SIGNATURE,
  KDUMP_SIGNATURE,
  KDUMP_SUB_HEADER,
  KDUMP_SUB_HEADER_SIZE,
  MAX_MAPNR_64_VERSION,
  PAGE_DESCRIPTOR_SIZE,
} from './kdump-layout.js';
import type { OpenedSource, Region, ScanProblem } from './types.js';

/** Returns the kdump variant the first bytes show, if any. */
export function kdumpVariant(head: Uint8Array): 'flattened' | 'diskdump' | undefined {
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 16)).toString(
    'latin1',
  );
  if (text.startsWith(FLATTENED_SIGNATURE)) return 'flattened';
  if (text.startsWith(KDUMP_SIGNATURE)) return 'diskdump';
  return undefined;
}

function invalid(name: string, message: string): ScanError {
  return new ScanError('KDUMP_INVALID', `${name}: ${message}`, {
    hint: 'check that the file is a complete kdump-compressed dump, or pass --format raw',
  });
}

/** Extents of a flattened file, and why the stream ended early when it did. */
interface FlattenedStream {
  readonly extents: Float64Array;
  readonly truncation?: string | undefined;
}

/**
 * Reads the record headers of a flattened file into sorted extents. A stream cut short keeps
 * the records it has, the last one as far as its bytes go, so the pages present can be scanned.
 */
function readFlattenedExtents(fd: number, name: string, size: number): FlattenedStream {
  const records: [offset: number, position: number, length: number][] = [];
  const header = Buffer.alloc(FLATTENED_RECORD_SIZE);
  let position = FLATTENED_HEADER_SIZE;
  let truncation: string | undefined;

  for (;;) {
    if (readSync(fd, header, 0, FLATTENED_RECORD_SIZE, position) < FLATTENED_RECORD_SIZE) {
      truncation = `the flattened stream ends at byte ${position} without its end marker`;
      break;
    }
    const offset = Number(header.readBigInt64BE(0));
    const length = Number(header.readBigInt64BE(8));
    if (offset === -1) break;
    if (offset < 0 || length < 0) {
      throw invalid(name, `the flattened record at byte ${position} has a negative offset or size`);
    }
    const dataAt = position + FLATTENED_RECORD_SIZE;
    if (dataAt + length > size) {
      truncation = `the flattened record at byte ${position} has ${size - dataAt} of its ${length} bytes`;
      if (size > dataAt) records.push([offset, dataAt, size - dataAt]);
      break;
    }
    if (length > 0) records.push([offset, dataAt, length]);
    position = dataAt + length;
  }

  records.sort((a, b) => a[0] - b[0]);
  const extents = new Float64Array(records.length * 3);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const previous = records[i - 1];
    if (previous && previous[0] + previous[2] > record[0]) {
      throw invalid(
        name,
        'flattened records overlap; reassemble the file with makedumpfile -R first',
      );
    }
    extents.set(record, i * 3);
  }
  return { extents, truncation };
}

function compressionOf(status: number): string {
  const names = Object.entries(COMPRESSION)
    .filter(([, bit]) => status & bit)
    .map(([name]) => name);
  return names.length > 0 ? names.join('+') : 'uncompressed';
}

/** Splits the dumpable-page bitmap into regions of consecutive page frames. */
function pageRuns(
  bitmap: Uint8Array,
  maxMapnr: number,
): [firstPfn: number, pages: number, firstDescriptor: number][] {
  const runs: [number, number, number][] = [];
  let descriptor = 0;
  let runStart = -1;
  for (let pfn = 0; pfn <= maxMapnr; pfn++) {
    const dumped = pfn < maxMapnr && (bitmap[pfn >> 3]! & (1 << (pfn & 7))) !== 0;
    if (dumped && runStart < 0) runStart = pfn;
    if (!dumped && runStart >= 0) {
      runs.push([runStart, pfn - runStart, descriptor]);
      descriptor += pfn - runStart;
      runStart = -1;
    }
  }
  return runs;
}

/** Opens a kdump-compressed dump (flattened or plain) as page-frame regions. */
export function openKdump(
  path: string,
  source: number,
  size: number,
  variant: 'flattened' | 'diskdump',
): OpenedSource {
  const fd = openSync(path, 'r');
  try {
    const stream = variant === 'flattened' ? readFlattenedExtents(fd, path, size) : undefined;
    const extents = stream?.extents;
    const file = new KdumpLogicalFile(fd, path, extents);
    const head = Buffer.from(file.read(0, DISKDUMP_HEADER_SIZE));
    if (head.toString('latin1', 0, 8) !== KDUMP_SIGNATURE)
      throw invalid(path, 'no KDUMP signature');

    const field = (f: { offset: number }) => head.readUInt32LE(f.offset);
    const version = field(DISKDUMP_HEADER.headerVersion);
    const blockSize = field(DISKDUMP_HEADER.blockSize);
    const subHeaderBlocks = field(DISKDUMP_HEADER.subHeaderBlocks);
    const bitmapBlocks = field(DISKDUMP_HEADER.bitmapBlocks);
    if (blockSize < 512 || blockSize > 1 << 20 || (blockSize & (blockSize - 1)) !== 0) {
      throw invalid(path, `block size ${blockSize} is not a power of two from 512 bytes to 1 MiB`);
    }

    let maxMapnr = field(DISKDUMP_HEADER.maxMapnr);
    if (version >= MAX_MAPNR_64_VERSION) {
      const sub = Buffer.from(file.read(blockSize, KDUMP_SUB_HEADER_SIZE));
      maxMapnr = Number(sub.readBigUInt64LE(KDUMP_SUB_HEADER.maxMapnr64.offset));
    }
    const bitmapBytes = (bitmapBlocks * blockSize) / 2;
    if (Math.ceil(maxMapnr / 8) > bitmapBytes) {
      throw invalid(path, `${maxMapnr} page frames do not fit a bitmap of ${bitmapBytes} bytes`);
    }

    // The second bitmap marks the page frames whose data the file holds. A truncated file may
    // hold only the start of it, which still locates the pages before the cut.
    const bitmapsAt = blockSize * (1 + subHeaderBlocks);
    const bitmapLength = Math.ceil(maxMapnr / 8);
    const dumpable = file.readUpTo(bitmapsAt + bitmapBytes, bitmapLength);
    const knownFrames = Math.min(maxMapnr, dumpable.length * 8);
    const descriptorsAt = bitmapsAt + bitmapBlocks * blockSize;
    const runs = pageRuns(dumpable, knownFrames);
    const pages = runs.reduce((sum, [, count]) => sum + count, 0);
    const descriptorsEnd = descriptorsAt + pages * PAGE_DESCRIPTOR_SIZE;
    const truncations: string[] = [];
    if (stream?.truncation) truncations.push(stream.truncation);
    if (!extents && descriptorsEnd > size) {
      truncations.push(
        `its ${pages} page descriptors end at byte ${descriptorsEnd} but the file has ${size}`,
      );
    }
    if (knownFrames < maxMapnr) {
      truncations.push(
        `its page bitmap stops at page frame ${knownFrames} of ${maxMapnr}, so the later page frames cannot be located and are not scanned`,
      );
    }
    const problems: ScanProblem[] = [];
    if (truncations.length > 0) {
      problems.push({
        source: path,
        code: 'KDUMP_TRUNCATED',
        message: `${path} is truncated: ${truncations.join('; ')}`,
      });
    }

    const regions: Region[] = runs.map(([firstPfn, count, firstDescriptor]) => ({
      source,
      length: count * blockSize,
      read: { kind: 'kdump', source, firstDescriptor },
      name: `page frames ${firstPfn}..${firstPfn + count - 1}`,
      address: BigInt(firstPfn) * BigInt(blockSize),
      addressSpace: 'physical',
    }));
    return {
      summary: {
        name: path,
        kind: 'kdump',
        bytes: pages * blockSize,
        regions: regions.length,
        addressSpace: 'physical',
        detail: `kdump ${variant === 'flattened' ? 'flattened ' : ''}(${compressionOf(field(DISKDUMP_HEADER.status))}, ${blockSize}-byte pages, ${pages} of ${maxMapnr} page frames dumped)`,
      },
      regions,
      skipped: [],
      excluded: [],
      problems,
      workerSetup: { kind: 'kdump', source, path, pageSize: blockSize, descriptorsAt, extents },
    };
  } finally {
    closeSync(fd);
  }
}
