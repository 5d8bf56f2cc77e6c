/** Location from which a worker reads the bytes of a region (positions are byte offsets). */
export type RegionRead =
  /** A file, block device or /proc/PID/mem: region byte 0 is at `position`. */
  | { readonly kind: 'file'; readonly path: string; readonly position: number }
  /** Bytes in memory. */
  | { readonly kind: 'bytes'; readonly data: Uint8Array }
  /** Pages of a kdump file registered with the workers as `source`. */
  | { readonly kind: 'kdump'; readonly source: number; readonly firstDescriptor: number };

/** A run of bytes with consecutive addresses; chunks never span two regions. */
export interface Region {
  /** Index of the source in the report. */
  readonly source: number;
  readonly length: number;
  readonly read: RegionRead;
  /** File holding the region, for directory trees. */
  readonly path?: string | undefined;
  /** Name of the region, such as `PT_LOAD 2`, `[heap]` or a mapped file. */
  readonly name?: string | undefined;
  /** File offset of region byte 0, when the region lies in a file as is. */
  readonly fileOffset?: number | undefined;
  /** Address of region byte 0. */
  readonly address?: bigint | undefined;
  readonly addressSpace?: 'physical' | 'virtual' | undefined;
  /** Virtual address of byte 0 when a dump gives both (QEMU dumps with paging). */
  readonly virtualAddress?: bigint | undefined;
}

/** Kind of input, as detected or forced. */
export type SourceKind = 'raw' | 'elf' | 'kdump' | 'directory' | 'process' | 'bytes';

/** One input of a scan as the report describes it. */
export interface SourceSummary {
  readonly name: string;
  readonly kind: SourceKind;
  /** Bytes the source's regions hold, which is what the scan reads. */
  readonly bytes: number;
  readonly regions: number;
  /** Files in a directory tree. */
  readonly files?: number | undefined;
  readonly addressSpace?: 'physical' | 'virtual' | undefined;
  /** Format details such as the kdump compression or the ELF machine. */
  readonly detail?: string | undefined;
}

/** An input that could not be read in full; the scan went on without it. */
export interface SkippedInput {
  readonly source: string;
  readonly path?: string | undefined;
  readonly region?: string | undefined;
  /** errno code or a short reason such as `not a regular file`. */
  readonly code: string;
  readonly reason: string;
  /** Bytes of the input that were scanned before it failed. */
  readonly scannedBytes?: number | undefined;
}

/** An entry of a directory tree that is not read by design; it does not make a scan incomplete. */
export interface ExcludedInput {
  readonly source: string;
  readonly path: string;
  /** `symbolic link`, `named pipe`, `socket`, `device` or `values file`. */
  readonly kind: string;
  readonly reason: string;
}

/** A defect of an input that leaves the result incomplete, such as a truncated dump. */
export interface ScanProblem {
  readonly source: string;
  readonly code: string;
  readonly message: string;
}

/** A source opened in the main thread, ready to be cut into chunks. */
export interface OpenedSource {
  readonly summary: SourceSummary;
  readonly regions: readonly Region[];
  readonly skipped: readonly SkippedInput[];
  readonly excluded: readonly ExcludedInput[];
  readonly problems: readonly ScanProblem[];
  /** Process id of a `process` source. */
  readonly pid?: number | undefined;
  /** Data the workers need to read this source (kdump layouts), sent before any chunk. */
  readonly workerSetup?: KdumpSetup | undefined;
}

/** Data a worker needs to read pages of a kdump file. */
export interface KdumpSetup {
  readonly kind: 'kdump';
  readonly source: number;
  readonly path: string;
  readonly pageSize: number;
  /** Logical file offset of the first page descriptor. */
  readonly descriptorsAt: number;
  /** Flattened format: logical offset, file position and length of each data record. */
  readonly extents?: Float64Array | undefined;
}

/** State shared by the sources of one scan while they are opened. */
export interface OpenContext {
  /** Files not to read, as `device:inode`, such as the values file of the scan. */
  readonly exclude: ReadonlySet<string>;
  /** Bytes that files of unknown size (stat size 0) may still hold in memory. */
  unsizedBudget: number;
}

/** Identity of a file for {@link OpenContext.exclude}. */
export function fileIdentity(stats: { dev: number; ino: number }): string {
  return `${stats.dev}:${stats.ino}`;
}

/** Builds the exclusion entry of the scan's own values file, which would match itself. */
export function valuesFileExclusion(source: string, path: string): ExcludedInput {
  return {
    source,
    path,
    kind: 'values file',
    reason: 'the values of this scan, which match themselves',
  };
}
