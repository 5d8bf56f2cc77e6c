import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { chunks, runChunks, throttle, type Chunk } from './chunks.js';
import { buildMatcherTables, type MatcherSummary, type MatcherTables } from './matcher/tables.js';
import { matcherModule } from './matcher/instance.js';
import type { Encoding } from './needles/encodings.js';
import type { NeedleSet, RejectedValue, ScanValue } from './needles/needles.js';
import { ScanPool } from './pool/pool.js';
import type { FromWorker } from './pool/protocol.js';
import { checkOptions, openAll, prepareNeedles } from './prepare.js';
import { HitCollector, type ValueResult } from './results.js';
import { Shortfalls } from './shortfall.js';
import type { ScanSource } from './sources/open.js';
import type {
  ExcludedInput,
  OpenedSource,
  ScanProblem,
  SkippedInput,
  SourceSummary,
} from './sources/types.js';

/** Options of {@link scan}. */
export interface ScanOptions {
  /** Inputs: paths (files, block devices, directories), `{ pid }`, or `{ bytes, name }`. */
  readonly sources: readonly ScanSource[];
  readonly values: readonly ScanValue[];
  /** Encodings to search; default all that apply to each value. */
  readonly encodings?: readonly Encoding[] | undefined;
  /**
   * Encoded forms shorter than this many bytes are not searched, and values with no form left
   * are rejected; default 4, at least 4.
   */
  readonly minLength?: number | undefined;
  /** Hits kept per value, the first in input order; default 5. */
  readonly maxOffsets?: number | undefined;
  /** Printable strings shown before and after each hit; default 2. */
  readonly contextLines?: number | undefined;
  /** Leave values and context out of the report, keeping fingerprints and lengths. */
  readonly redact?: boolean | undefined;
  /**
   * Key of the value fingerprints (HMAC-SHA256), at least 16 bytes. Default: a random key of
   * this scan, so fingerprints cannot be compared across scans. Pass the same key to several
   * scans to correlate their reports on purpose.
   */
  readonly redactKey?: Uint8Array | undefined;
  /** Files not to read, such as the file the values came from; listed as excluded. */
  readonly exclude?: readonly string[] | undefined;
  /** Worker threads; default the number of CPUs. */
  readonly workers?: number | undefined;
  /** Bytes per chunk; default 8 MiB. */
  readonly chunkBytes?: number | undefined;
  readonly onProgress?: ((progress: ScanProgress) => void) | undefined;
  /** Aborting stops the scan with ScanError INTERRUPTED. */
  readonly signal?: AbortSignal | undefined;
}

/** Progress of a running scan. */
export interface ScanProgress {
  readonly scannedBytes: number;
  readonly totalBytes: number;
  readonly elapsedSeconds: number;
}

/** Totals of a scan. */
export interface ScanSummary {
  readonly bytesScanned: number;
  readonly seconds: number;
  readonly bytesPerSecond: number;
  readonly values: number;
  readonly valuesFound: number;
  readonly valuesNotFound: number;
  readonly valuesRejected: number;
  readonly patterns: number;
  /** Encoded forms shorter than this many bytes were not searched. */
  readonly minLength: number;
  readonly workers: number;
  readonly matcher: MatcherSummary;
  /** Whose key the fingerprints in `hash` are made with. */
  readonly fingerprintKey: 'random' | 'given';
  /** True when every byte of every source was scanned; excluded entries do not count. */
  readonly complete: boolean;
}

/** The result of {@link scan}. */
export interface ScanReport {
  readonly sources: readonly SourceSummary[];
  readonly values: readonly ValueResult[];
  readonly rejected: readonly RejectedValue[];
  /** Inputs that could not be read in full; they make the scan incomplete. */
  readonly skipped: readonly SkippedInput[];
  /** Entries of directory trees not read by design, such as symbolic links. */
  readonly excluded: readonly ExcludedInput[];
  readonly problems: readonly ScanProblem[];
  readonly summary: ScanSummary;
}

const DEFAULT_CHUNK_BYTES = 8 << 20;
const DEFAULT_MAX_OFFSETS = 5;
const DEFAULT_CONTEXT_LINES = 2;
const CONTEXT_BYTES = 160;
const CONTEXT_HITS = 3;

/** Builds the matcher tables and starts as many workers as the input can keep busy. */
function startPool(
  options: ScanOptions,
  needles: NeedleSet,
  totalBytes: number,
  chunkBytes: number,
) {
  const { module, tablesBase } = matcherModule();
  const maxOffsets = options.maxOffsets ?? DEFAULT_MAX_OFFSETS;
  const tables = buildMatcherTables(needles.patterns, tablesBase, Math.max(1, maxOffsets));
  // A loop, not Math.max(...lengths): spreading 100,000 arguments overflows the call stack.
  let longest = 0;
  for (const pattern of needles.patterns) longest = Math.max(longest, pattern.length);
  const overlap = longest - 1;
  const chunkCount = Math.ceil(totalBytes / chunkBytes) || 1;
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), chunkCount));
  const pool = new ScanPool(workers, {
    module,
    image: tables.image,
    base: tables.base,
    planPointer: tables.planPointer,
    textCapacity: chunkBytes + overlap,
    patternLengths: Uint32Array.from(needles.patterns, (p) => p.length),
    contextBytes: CONTEXT_BYTES,
    contextHits: Math.min(CONTEXT_HITS, maxOffsets),
  });
  return { pool, tables, overlap };
}

interface ScanOutcome {
  readonly scannedBytes: number;
  readonly seconds: number;
  readonly skipped: readonly SkippedInput[];
  readonly problems: readonly ScanProblem[];
  readonly pool: ScanPool;
  readonly tables: MatcherTables;
  readonly key: Uint8Array;
}

function buildReport(
  options: ScanOptions,
  needles: NeedleSet,
  opened: readonly OpenedSource[],
  collector: HitCollector,
  outcome: ScanOutcome,
): ScanReport {
  const redact = options.redact ?? false;
  const sources = opened.map((s) => s.summary);
  const values = collector.results(sources, {
    redact,
    contextLines: options.contextLines ?? DEFAULT_CONTEXT_LINES,
    key: outcome.key,
  });
  let found = 0;
  for (const value of values) if (value.found) found++;
  const { scannedBytes, seconds, skipped, problems } = outcome;
  return {
    sources,
    values,
    rejected: needles.rejected,
    skipped,
    excluded: opened.flatMap((s) => s.excluded),
    problems,
    summary: {
      bytesScanned: scannedBytes,
      seconds,
      bytesPerSecond: seconds > 0 ? scannedBytes / seconds : 0,
      values: values.length,
      valuesFound: found,
      valuesNotFound: values.length - found,
      valuesRejected: needles.rejected.length,
      patterns: needles.patterns.length,
      minLength: needles.minLength,
      workers: outcome.pool.size,
      matcher: outcome.tables.summary,
      fingerprintKey: options.redactKey ? 'given' : 'random',
      complete: skipped.length === 0 && problems.length === 0,
    },
  };
}

/**
 * Searches sources for every encoding of every value, with worker threads over overlapping
 * chunks, and reports hits per value. Unreadable inputs inside a directory or a process are
 * reported in `skipped`, and defects such as a truncated dump in `problems`. Both leave
 * `summary.complete` false. Entries that a tree scan does not read by design, such as symbolic
 * links, are listed in `excluded` and leave it true. Throws ScanError when the scan cannot
 * start, and INTERRUPTED when `signal` aborts it.
 *
 * @example
 * const report = await scan({ sources: ['/var/lib/mysql'], values: [{ value: 'Margarethe Vinterberg' }] });
 * if (report.summary.valuesFound > 0) console.log('plaintext found');
 */
export async function scan(options: ScanOptions): Promise<ScanReport> {
  checkOptions(options);
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const key = options.redactKey ?? randomBytes(32);
  const needles = prepareNeedles(options);
  const opened = await openAll(options);
  const totalBytes = opened.reduce((sum, s) => sum + s.summary.bytes, 0);
  const { pool, tables, overlap } = startPool(options, needles, totalBytes, chunkBytes);
  const collector = new HitCollector(needles, options.maxOffsets ?? DEFAULT_MAX_OFFSETS);
  const shortfalls = new Shortfalls(opened);
  const started = performance.now();
  let scannedBytes = 0;

  try {
    for (const source of opened) if (source.workerSetup) pool.registerKdump(source.workerSetup);
    const progress = throttle(options.onProgress, () => ({
      scannedBytes,
      totalBytes,
      elapsedSeconds: (performance.now() - started) / 1000,
    }));

    const handle = (chunk: Chunk, result: FromWorker) => {
      if (result.type === 'error') {
        shortfalls.record(chunk, 0, result);
        return;
      }
      collector.addCounts(result.counts);
      collector.addHits(result.hits, chunk.region, chunk.order);
      const fresh = Math.min(chunk.fresh, Math.max(0, result.bytes - chunk.job.reportFrom));
      scannedBytes += fresh;
      shortfalls.addScanned(chunk.region.source, fresh);
      if (result.bytes < chunk.job.length) shortfalls.record(chunk, result.bytes);
      progress();
    };

    await runChunks(pool, chunks(opened, chunkBytes, overlap), handle, options.signal);
    progress(true);
  } finally {
    await pool.close();
  }

  const skipped = opened.flatMap((s) => s.skipped);
  const problems = opened.flatMap((s) => s.problems);
  shortfalls.report(skipped, problems);
  const seconds = (performance.now() - started) / 1000;
  const outcome = { scannedBytes, seconds, skipped, problems, pool, tables, key };
  return buildReport(options, needles, opened, collector, outcome);
}
