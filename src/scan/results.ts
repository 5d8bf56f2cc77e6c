import { hitContext, type HitContext } from './context.js';
import { formatAddress } from './format.js';
import type { Encoding } from './needles/encodings.js';
import { redactValue, valueBytes, type NeedleSet, type ShortForm } from './needles/needles.js';
import type { WorkerHit } from './pool/protocol.js';
import type { Region, SourceSummary } from './sources/types.js';

/** Location of one hit. */
export interface HitLocation {
  readonly encoding: Encoding;
  /** Name of the source (path, `pid N` or the name given for bytes). */
  readonly source: string;
  /** File that contains the hit, in a directory tree. */
  readonly path?: string | undefined;
  /** ELF segment, kdump page frames or process mapping that contains the hit. */
  readonly region?: string | undefined;
  /** Byte offset in the file, for hits that lie in a file as is. */
  readonly offset?: number | undefined;
  /** Address as hexadecimal, for dumps and processes. */
  readonly address?: string | undefined;
  readonly addressSpace?: 'physical' | 'virtual' | undefined;
  readonly virtualAddress?: string | undefined;
  readonly context?: HitContext | undefined;
}

/** Result of the scan for one value. */
export interface ValueResult {
  /** Index of the value in the input list. */
  readonly index: number;
  /** The value as text (hex for raw bytes); absent when the scan was redacted. */
  readonly value?: string | undefined;
  /**
   * Fingerprint of the value's bytes (HMAC-SHA256 prefix under the scan's key, see
   * {@link redactValue}), to refer to it without showing it.
   */
  readonly hash: string;
  /** Length of the value in bytes, also in redacted reports. */
  readonly length: number;
  readonly label?: string | undefined;
  readonly found: boolean;
  readonly hits: number;
  /** Hits per searched encoding (0 for encodings searched and not found). */
  readonly encodings: Partial<Record<Encoding, number>>;
  /** Encoded forms not searched because they are shorter than the minimum length. */
  readonly tooShort: readonly ShortForm[];
  /** The first hits in input order. */
  readonly first: readonly HitLocation[];
}

interface StoredHit {
  readonly pattern: number;
  readonly order: number;
  readonly offset: number;
  readonly encoding: Encoding;
  readonly region: Region;
  readonly context?: Uint8Array | undefined;
  readonly contextOffset?: number | undefined;
}

/** Presentation options of {@link HitCollector.results}. */
export interface ResultOptions {
  readonly redact: boolean;
  readonly contextLines: number;
  /** Key of the value fingerprints. */
  readonly key: Uint8Array;
}

/** Collects hits per value, keeping counts and the first `keep` hits in input order. */
export class HitCollector {
  private readonly counts: Map<Encoding, number>[];
  private readonly first: StoredHit[][];

  constructor(
    private readonly needles: NeedleSet,
    private readonly keep: number,
  ) {
    this.counts = needles.values.map(() => new Map());
    this.first = needles.values.map(() => []);
  }

  addCounts(counts: readonly [number, number][]) {
    for (const [pattern, count] of counts) {
      for (const owner of this.needles.owners[pattern]!) {
        const map = this.counts[owner.value]!;
        map.set(owner.encoding, (map.get(owner.encoding) ?? 0) + count);
      }
    }
  }

  addHits(hits: readonly WorkerHit[], region: Region, order: number) {
    for (const hit of hits) {
      for (const owner of this.needles.owners[hit.pattern]!) {
        this.insert(owner.value, {
          pattern: hit.pattern,
          order,
          offset: hit.offset,
          encoding: owner.encoding,
          region,
          context: hit.context,
          contextOffset: hit.contextOffset,
        });
      }
    }
  }

  private insert(value: number, hit: StoredHit) {
    if (this.keep === 0) return;
    const list = this.first[value]!;
    const before = (a: StoredHit, b: StoredHit) =>
      a.order < b.order || (a.order === b.order && a.offset < b.offset);
    if (list.length >= this.keep && !before(hit, list[list.length - 1]!)) return;
    let at = list.length;
    while (at > 0 && before(hit, list[at - 1]!)) at--;
    list.splice(at, 0, hit);
    if (list.length > this.keep) list.pop();
  }

  /** Builds the per-value results. */
  results(sources: readonly SourceSummary[], options: ResultOptions): ValueResult[] {
    const rejected = new Set(this.needles.rejected.map((r) => r.index));
    const results: ValueResult[] = [];
    this.needles.values.forEach((value, index) => {
      if (rejected.has(index)) return;
      const searched = this.needles.encodingsByValue[index]!;
      const counts = this.counts[index]!;
      const encodings: Partial<Record<Encoding, number>> = {};
      for (const encoding of searched) encodings[encoding] = counts.get(encoding) ?? 0;
      let hits = 0;
      for (const count of counts.values()) hits += count;
      const bytes = valueBytes(value);
      const text =
        typeof value.value === 'string' ? value.value : Buffer.from(bytes).toString('hex');
      results.push({
        index,
        value: options.redact ? undefined : text,
        hash: redactValue(value, options.key),
        length: bytes.length,
        label: value.label,
        found: hits > 0,
        hits,
        encodings,
        tooShort: this.needles.shortForms[index]!,
        first: this.first[index]!.map((hit) => this.location(hit, sources, options)),
      });
    });
    return results;
  }

  private location(
    hit: StoredHit,
    sources: readonly SourceSummary[],
    options: ResultOptions,
  ): HitLocation {
    const region = hit.region;
    const length = this.needles.patterns[hit.pattern]!.length;
    let context: HitContext | undefined;
    if (!options.redact && hit.context && hit.contextOffset !== undefined) {
      context = hitContext(
        hit.context,
        hit.offset - hit.contextOffset,
        length,
        hit.encoding,
        options.contextLines,
      );
    }
    return {
      encoding: hit.encoding,
      source: sources[region.source]!.name,
      path: region.path,
      region: region.name,
      offset: region.fileOffset === undefined ? undefined : region.fileOffset + hit.offset,
      address:
        region.address === undefined
          ? undefined
          : formatAddress(region.address + BigInt(hit.offset)),
      addressSpace: region.addressSpace,
      virtualAddress:
        region.virtualAddress === undefined
          ? undefined
          : formatAddress(region.virtualAddress + BigInt(hit.offset)),
      context,
    };
  }
}
