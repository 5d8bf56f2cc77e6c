import { ScanError } from './errors.js';
import type { ScanPool } from './pool/pool.js';
import type { FromWorker, JobMessage } from './pool/protocol.js';
import type { ScanProgress } from './scan.js';
import type { OpenedSource, Region } from './sources/types.js';

// Chunking and job handling of a scan: regions become overlapping chunk jobs for the pool.

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

/** Wraps a progress callback so that it runs at most every 100 ms, unless forced. */
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
