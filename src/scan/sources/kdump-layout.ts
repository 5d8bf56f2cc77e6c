// kdump-compressed ("diskdump") and makedumpfile flattened formats, as written by makedumpfile
// and QEMU (include/sysemu/dump.h: DiskDumpHeader64, KdumpSubHeader64, PageDescriptor; the
// flattened header and record headers of makedumpfile.h). Offsets in bytes.

export const KDUMP_SIGNATURE = 'KDUMP   ';
export const FLATTENED_SIGNATURE = 'makedumpfile';
/** The flattened header occupies the first 4096 bytes; records follow. */
export const FLATTENED_HEADER_SIZE = 4096;
/** Flattened record header: big-endian int64 offset and size; offset -1 ends the stream. */
export const FLATTENED_RECORD = {
  offset: { offset: 0, size: 8 },
  size: { offset: 8, size: 8 },
} as const;
export const FLATTENED_RECORD_SIZE = 16;

/** disk_dump_header (64-bit), in the dumped machine's byte order (little-endian on x86). */
export const DISKDUMP_HEADER = {
  signature: { offset: 0, size: 8 },
  headerVersion: { offset: 8, size: 4 },
  utsname: { offset: 12, size: 390 },
  padding: { offset: 402, size: 6 },
  timestamp: { offset: 408, size: 16 },
  status: { offset: 424, size: 4 },
  blockSize: { offset: 428, size: 4 },
  subHeaderBlocks: { offset: 432, size: 4 },
  bitmapBlocks: { offset: 436, size: 4 },
  maxMapnr: { offset: 440, size: 4 },
  totalRamBlocks: { offset: 444, size: 4 },
  deviceBlocks: { offset: 448, size: 4 },
  writtenBlocks: { offset: 452, size: 4 },
  currentCpu: { offset: 456, size: 4 },
  cpuCount: { offset: 460, size: 4 },
} as const;
export const DISKDUMP_HEADER_SIZE = 464;

/** kdump_sub_header (64-bit); starts at block 1. */
export const KDUMP_SUB_HEADER = {
  physBase: { offset: 0, size: 8 },
  dumpLevel: { offset: 8, size: 4 },
  split: { offset: 12, size: 4 },
  startPfn: { offset: 16, size: 8 },
  endPfn: { offset: 24, size: 8 },
  vmcoreinfoOffset: { offset: 32, size: 8 },
  vmcoreinfoSize: { offset: 40, size: 8 },
  noteOffset: { offset: 48, size: 8 },
  noteSize: { offset: 56, size: 8 },
  eraseinfoOffset: { offset: 64, size: 8 },
  eraseinfoSize: { offset: 72, size: 8 },
  startPfn64: { offset: 80, size: 8 },
  endPfn64: { offset: 88, size: 8 },
  maxMapnr64: { offset: 96, size: 8 },
} as const;
export const KDUMP_SUB_HEADER_SIZE = 104;
/** Header version from which max_mapnr_64 in the sub-header is valid. */
export const MAX_MAPNR_64_VERSION = 6;

/** page_desc: where a dumped page's data lies and how it is compressed. */
export const PAGE_DESCRIPTOR = {
  offset: { offset: 0, size: 8 },
  size: { offset: 8, size: 4 },
  flags: { offset: 12, size: 4 },
  pageFlags: { offset: 16, size: 8 },
} as const;
export const PAGE_DESCRIPTOR_SIZE = 24;

/** page_desc.flags and disk_dump_header.status compression bits. */
export const COMPRESSION = { zlib: 0x1, lzo: 0x2, snappy: 0x4, zstd: 0x20 } as const;
