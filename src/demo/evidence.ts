import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HitContext } from '../scan/context.js';
import { scan, type ScanReport } from '../scan/scan.js';
import type { ScanValue } from '../scan/needles/needles.js';
import type { StateLayout } from '../mariadb/layout.js';
import { classifyServerFile, type PlaceId } from './places.js';
import type { DemoProfile, EvidenceHit, EvidenceResult, Medium } from './matrix.js';

/** A file to search, with the row of the matrix it belongs to. */
export interface EvidenceFile {
  readonly path: string;
  readonly place: PlaceId;
  readonly medium: Medium;
}

/** Everything collected from one server before it is searched. */
export interface ServerEvidence {
  readonly profile: DemoProfile;
  readonly files: readonly EvidenceFile[];
  /** ELF core of the mariadbd process. */
  readonly memoryDump: string;
  readonly wire: Buffer;
}

async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * Lists the files an attacker with the disk would read: everything under the data directory,
 * the binlog and log directories, and the copies of temporary files, each classified.
 */
export async function serverFiles(
  layout: StateLayout,
  temporaryCopies: readonly { copy: string; onRam: boolean }[],
): Promise<EvidenceFile[]> {
  const files: EvidenceFile[] = [];
  for (const dir of [layout.dataDir, layout.binlogDir, layout.logDir]) {
    for (const path of await listFiles(dir)) {
      files.push({ path, place: classifyServerFile(path, false), medium: 'disk' });
    }
  }
  for (const { copy, onRam } of temporaryCopies) {
    files.push({ path: copy, place: 'temporary', medium: onRam ? 'ram' : 'disk' });
  }
  return files;
}

/** Options shared by every search of one demo run. */
export interface SearchOptions {
  readonly values: readonly ScanValue[];
  readonly workers?: number | undefined;
  readonly redact: boolean;
  /**
   * Key of the value fingerprints in a redacted report. One key for every search of a run
   * gives a value the same fingerprint in every place; the default is a random key per search.
   */
  readonly redactKey?: Uint8Array | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Searches one server's evidence, one scan per place and medium, so that each matrix cell
 * counts the distinct values found there.
 */
export async function searchEvidence(
  evidence: ServerEvidence,
  options: SearchOptions,
): Promise<EvidenceResult[]> {
  const groups = new Map<string, EvidenceFile[]>();
  for (const file of evidence.files) {
    const key = `${file.place}:${file.medium}`;
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }

  const results: EvidenceResult[] = [];
  results.push(
    await searchGroup(
      evidence.profile,
      'memory',
      'process',
      'mariadbd memory dump',
      [evidence.memoryDump],
      options,
    ),
  );
  for (const files of groups.values()) {
    const first = files[0]!;
    const label = `${files.length} file${files.length === 1 ? '' : 's'}`;
    results.push(
      await searchGroup(
        evidence.profile,
        first.place,
        first.medium,
        label,
        files.map((f) => f.path),
        options,
      ),
    );
  }
  if (evidence.wire.length > 0) {
    results.push(
      await searchGroup(
        evidence.profile,
        'wire',
        'network',
        'recorded client connection',
        [{ bytes: evidence.wire, name: 'wire' }],
        options,
      ),
    );
  } else {
    results.push({
      profile: evidence.profile,
      place: 'wire',
      medium: 'network',
      label: 'recorded client connection',
      bytes: 0,
      hits: [],
    });
  }
  return results;
}

async function searchGroup(
  profile: DemoProfile,
  place: PlaceId,
  medium: Medium,
  label: string,
  sources: Parameters<typeof scan>[0]['sources'],
  options: SearchOptions,
): Promise<EvidenceResult> {
  const report = await scan({
    sources,
    values: options.values,
    workers: options.workers,
    maxOffsets: 1,
    contextLines: 1,
    redact: options.redact,
    redactKey: options.redactKey,
    signal: options.signal,
  });
  return {
    profile,
    place,
    medium,
    label,
    bytes: report.summary.bytesScanned,
    hits: hitsOf(report, options.redact),
  };
}

/** Context cell of a hit in a redacted report, which keeps no bytes around the hit. */
export const REDACTED_CONTEXT = '(redacted)';

function contextText(context: HitContext | undefined, redact: boolean): string {
  if (redact) return REDACTED_CONTEXT;
  return context ? [...context.before, context.match, ...context.after].join(' | ') : '';
}

function hitsOf(report: ScanReport, redact: boolean): EvidenceHit[] {
  const hits: EvidenceHit[] = [];
  for (const value of report.values) {
    const location = value.first[0];
    if (!value.found || !location) continue;
    hits.push({
      valueIndex: value.index,
      value: value.value ?? `${value.hash} (${value.length} bytes)`,
      label: value.label ?? '',
      encoding: location.encoding,
      offset: location.offset ?? Number.parseInt(location.address ?? '0', 16),
      context: contextText(location.context, redact),
      where:
        location.path ??
        (location.address
          ? `${location.region ?? 'memory'} at ${location.address}`
          : location.source),
    });
  }
  return hits;
}

/** Size of a file, or 0 when it is gone. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
