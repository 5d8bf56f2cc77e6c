import { ScanError } from './errors.js';
import type { ScanPool } from './pool/pool.js';
import type { FromWorker, JobMessage } from './pool/protocol.js';
import type { ScanProgress } from './scan.js';
import type { OpenedSource, Region, ScanProblem, SkippedInput } from './sources/types.js';

// Chunking and job handling of a scan: regions become overlapping chunk jobs for the pool, and
// failed or short reads become skipped inputs or problems.

const PROGRESS_INTERVAL_MS = 100;

/** One job of a scan and the region it reads. */
export interface Chunk {
  readonly region: Region;
  readonly order: number;
  readonly job: JobMessage;
  /** Bytes of the chunk that the previous chunk did not scan. */
  readonly fresh: number;
}

/** Cuts regions into jobs whose bytes overlap the previous chunk by `overlap` bytes. */
export function* chunks(
  opened: readonly OpenedSource[],
  chunkBytes: number,
  overlap: number,
): Generator<Chunk> {
  let id = 0;
  let order = 0;
  for (const source of opened) {
    for (const region of source.regions) {
      for (let start = 0; start < region.length; start += chunkBytes) {
        const readFrom = Math.max(0, start - overlap);
        const end = Math.min(region.length, start + chunkBytes);
        let read = region.read;
        if (read.kind === 'bytes') read = { kind: 'bytes', data: read.data.slice(readFrom, end) };
        const job: JobMessage = {
          type: 'job',
          id: id++,
          read,
          offset: readFrom,
          length: end - readFrom,
          reportFrom: start - readFrom,
        };
        yield { region, order, job, fresh: end - start };
      }
      order++;
    }
  }
}

/** Feeds chunks to the pool, at most two per worker in flight, and handles results in any order. */
export async function runChunks(
  pool: ScanPool,
  source: Iterator<Chunk>,
  handle: (chunk: Chunk, result: FromWorker) => void,
  signal: AbortSignal | undefined,
) {
  const running = new Set<Promise<void>>();
  for (let next = source.next(); !next.done; next = source.next()) {
    if (signal?.aborted) {
      throw new ScanError(
        'INTERRUPTED',
        'the scan was interrupted before it finished, so there is no report',
        {
          cause: signal.reason,
        },
      );
    }
    while (!pool.hasCapacity()) await Promise.race(running);
    const chunk = next.value;
    const task = pool.run(chunk.job).then((result) => {
      running.delete(task);
      handle(chunk, result);
    });
    running.add(task);
  }
  await Promise.all(running);
}

export function recordFailure(
  chunk: Chunk,
  result: { code: string; message: string },
  opened: readonly OpenedSource[],
  skipped: SkippedInput[],
  problems: ScanProblem[],
) {
  const source = opened[chunk.region.source]!.summary.name;
  if (result.code.startsWith('KDUMP_') || result.code.startsWith('ELF_')) {
    problems.push({ source, code: result.code, message: result.message });
    return;
  }
  const reason =
    result.code === 'ENOENT'
      ? 'removed during the scan'
      : result.code === 'EACCES'
        ? 'permission denied'
        : result.message;
  skipped.push({
    source,
    path: chunk.region.path,
    region: chunk.region.name,
    code: result.code,
    reason,
    scannedBytes: chunk.job.offset,
  });
}

export function recordShortRead(
  chunk: Chunk,
  bytes: number,
  opened: readonly OpenedSource[],
  skipped: SkippedInput[],
  problems: ScanProblem[],
) {
  const summary = opened[chunk.region.source]!.summary;
  const readTo = chunk.job.offset + bytes;
  const message = `${chunk.region.path ?? summary.name} ended at byte ${(chunk.region.fileOffset ?? 0) + readTo} while ${(chunk.region.fileOffset ?? 0) + chunk.region.length} were expected`;
  if (summary.kind === 'directory') {
    skipped.push({
      source: summary.name,
      path: chunk.region.path,
      code: 'SHRUNK',
      reason: 'file shrank during the scan',
      scannedBytes: readTo,
    });
  } else {
    problems.push({
      source: summary.name,
      code: summary.kind === 'elf' ? 'ELF_TRUNCATED' : 'SOURCE_SHRANK',
      message,
    });
  }
}

export function throttle(
  callback: ((p: ScanProgress) => void) | undefined,
  snapshot: () => ScanProgress,
) {
  let last = 0;
  return (force = false) => {
    if (!callback) return;
    const now = performance.now();
    if (!force && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    callback(snapshot());
  };
}
