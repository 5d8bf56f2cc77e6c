import { readFileSync } from 'node:fs';
import type { Chunk } from './chunks.js';
import { formatAddress, formatBytes } from './format.js';
import type { OpenedSource, Region, ScanProblem, SkippedInput } from './sources/types.js';

// Parts of sources that could not be read, gathered while chunks come back and reported once
// per source (once per file of a directory tree), however many chunks fell short.

/** The first byte of a region that was not read, and the reason. */
interface RegionShortfall {
  readonly region: Region;
  readonly order: number;
  /** Region offset of the first byte not read. */
  readonly at: number;
  /** errno code or error code; undefined when the read ended early without an error. */
  readonly code: string | undefined;
  readonly message: string | undefined;
}

function earlier(a: RegionShortfall, b: RegionShortfall): boolean {
  return a.order < b.order || (a.order === b.order && a.at < b.at);
}

function failureReason(shortfall: RegionShortfall): string {
  if (shortfall.code === undefined) return 'file shrank during the scan';
  if (shortfall.code === 'ENOENT') return 'removed during the scan';
  if (shortfall.code === 'EACCES' || shortfall.code === 'EPERM') return 'permission denied';
  return shortfall.message ?? shortfall.code;
}

/** Collects the regions that were not read in full, and bytes scanned per source. */
export class Shortfalls {
  private readonly regions = new Map<Region, RegionShortfall>();
  private readonly scanned: number[];

  constructor(private readonly opened: readonly OpenedSource[]) {
    this.scanned = opened.map(() => 0);
  }

  /** True when the region already fell short, so that later chunks of it add nothing new. */
  has(region: Region): boolean {
    return this.regions.has(region);
  }

  addScanned(source: number, bytes: number) {
    this.scanned[source]! += bytes;
  }

  /** Records a chunk that read `bytes` of its bytes, or failed with `error` after them. */
  record(chunk: Chunk, bytes: number, error?: { code: string; message: string }) {
    const shortfall: RegionShortfall = {
      region: chunk.region,
      order: chunk.order,
      at: chunk.job.offset + bytes,
      code: error?.code,
      message: error?.message,
    };
    const known = this.regions.get(chunk.region);
    if (!known || earlier(shortfall, known)) this.regions.set(chunk.region, shortfall);
  }

  /**
   * Builds the report entries: a skipped entry per file of a directory tree, else one problem
   * per source. A kdump source's entry joins the truncation found when it was opened.
   */
  report(skipped: SkippedInput[], problems: ScanProblem[]) {
    const bySource = new Map<number, RegionShortfall[]>();
    for (const shortfall of this.regions.values()) {
      const list = bySource.get(shortfall.region.source) ?? [];
      list.push(shortfall);
      bySource.set(shortfall.region.source, list);
    }
    for (const [index, list] of bySource) {
      list.sort((a, b) => a.order - b.order || a.at - b.at);
      const source = this.opened[index]!;
      if (source.summary.kind === 'directory') {
        for (const shortfall of list) skipped.push(this.skippedFile(source, shortfall));
        continue;
      }
      const problem = this.sourceProblem(index, list);
      const open = problems.findIndex(
        (p) => p.source === problem.source && p.code === problem.code,
      );
      if (open >= 0) problems[open] = problem;
      else problems.push(problem);
    }
  }

  private skippedFile(source: OpenedSource, shortfall: RegionShortfall): SkippedInput {
    return {
      source: source.summary.name,
      path: shortfall.region.path,
      region: shortfall.region.name,
      code: shortfall.code ?? 'SHRUNK',
      reason: failureReason(shortfall),
      scannedBytes: shortfall.at,
    };
  }

  private sourceProblem(index: number, list: readonly RegionShortfall[]): ScanProblem {
    const source = this.opened[index]!;
    const { name, kind, bytes, regions } = source.summary;
    const missing = formatBytes(Math.max(0, bytes - this.scanned[index]!));
    const first = list[0]!;
    const where = describeStop(first);

    if (kind === 'process') {
      const pid = source.pid!;
      if (hasExited(pid)) {
        return {
          source: name,
          code: 'PROCESS_EXITED',
          message: `process ${pid} exited during the scan; ${list.length} of ${regions} mappings were not read in full (${missing} not scanned)`,
        };
      }
      return {
        source: name,
        code: 'SOURCE_CHANGED',
        message: `${list.length} of ${regions} mappings of process ${pid} were not read in full (${missing} not scanned), the first at ${where}: ${failureText(first)}`,
      };
    }
    if (first.code !== undefined && first.code !== 'KDUMP_TRUNCATED') {
      return {
        source: name,
        code: first.code,
        message: `${first.message ?? first.code}; ${list.length} of ${regions} regions of ${name} were not read in full (${missing} not scanned)`,
      };
    }
    if (kind === 'kdump') return this.kdumpProblem(index, first, missing);
    return {
      source: name,
      code: kind === 'elf' ? 'ELF_TRUNCATED' : 'SOURCE_SHRANK',
      message: `${name} ended during the scan at ${where}; ${missing} were not scanned`,
    };
  }

  private kdumpProblem(index: number, first: RegionShortfall, missing: string): ScanProblem {
    const source = this.opened[index]!;
    const name = source.summary.name;
    const pageSize = source.workerSetup?.pageSize ?? 4096;
    const pages = Math.round(source.summary.bytes / pageSize);
    const scannedPages = Math.floor(this.scanned[index]! / pageSize);
    const opened = source.problems.find((p) => p.code === 'KDUMP_TRUNCATED');
    const truncation = opened?.message ?? `${name} is truncated`;
    return {
      source: name,
      code: 'KDUMP_TRUNCATED',
      message: `${truncation}; ${scannedPages} of ${pages} dumped pages were read and scanned, and the first missing page is at ${describeStop(first)} (${missing} not scanned)`,
    };
  }
}

/** True when the process is gone or a zombie, whose memory is gone too. */
function hasExited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return true;
    // A process that is exiting releases its memory before it becomes a zombie; from then on
    // it has no mappings left.
    return readFileSync(`/proc/${pid}/maps`, 'latin1').length === 0;
  } catch {
    return true;
  }
}

function failureText(shortfall: RegionShortfall): string {
  return shortfall.code === undefined ? 'the read ended early' : failureReason(shortfall);
}

/** Names the first byte not read: an address for dumps and processes, else a file offset. */
function describeStop(shortfall: RegionShortfall): string {
  const region = shortfall.region;
  const name = region.name ? `${region.name} ` : '';
  if (region.address !== undefined) {
    const space = region.addressSpace ? `${region.addressSpace} ` : '';
    return `${name}${space}${formatAddress(region.address + BigInt(shortfall.at))}`;
  }
  return `${name}byte ${(region.fileOffset ?? 0) + shortfall.at}`.trim();
}
