import { log2Ceil, maxStride } from './grams.js';

/** The patterns are given by index into this list. */
export type PatternList = readonly Uint8Array[];

/** Largest stride of a hash group; longer strides add entries faster than they save probes. */
export const MAX_STRIDE = 32;
/** Patterns the Teddy filter takes at most (8 buckets; more raise its false-positive rate). */
export const MAX_TEDDY_PATTERNS = 64;
/** Entries of all hash groups at most (8 bytes each); strides shrink to stay below. */
export const MAX_HASH_ENTRIES = 1 << 20;
/** Bitmap bits per entry: about 1.5 % of probes then pass the filter on random data. */
export const BITMAP_BITS_PER_ENTRY = 64;
export const MIN_BITMAP_BITS_LOG2 = 15;
/** 4 MiB, because each worker keeps a copy and a scan stays within 256 MiB for 50,000 patterns. */
export const MAX_BITMAP_BITS_LOG2 = 25;

// Estimated CPU cycles, from timings of matcher.c under V8 on x86-64 (see bench/scan). A probe
// costs about 4 cycles while its bitmap fits the L2 cache, and more beyond. Teddy costs about
// as much as a probe every 8 bytes.
const PROBE_CYCLES = 4;
const L2_MISS_CYCLES = 6;
const L3_MISS_CYCLES = 12;
const L2_BYTES = 512 * 1024;
const L3_BYTES = 2 * 1024 * 1024;
const TEDDY_BASE_CYCLES = 0.5;
const TEDDY_CYCLES_PER_PATTERN = 0.01;

/** One hash group: its stride and member patterns. */
export interface HashGroupPlan {
  readonly stride: number;
  readonly members: readonly number[];
}

/** Assignment of the patterns to Teddy and to at most two hash groups. */
export interface MatcherPlan {
  readonly teddy: readonly number[];
  readonly groups: readonly HashGroupPlan[];
}

/** Bits of the bitmap of a group with this many entries (a power of two). */
export function bitmapBitsLog2(entries: number): number {
  return Math.min(
    MAX_BITMAP_BITS_LOG2,
    Math.max(MIN_BITMAP_BITS_LOG2, log2Ceil(entries * BITMAP_BITS_PER_ENTRY)),
  );
}

function probeCycles(entries: number): number {
  const bitmapBytes = 2 ** bitmapBitsLog2(entries) / 8;
  return (
    PROBE_CYCLES +
    (bitmapBytes > L2_BYTES ? L2_MISS_CYCLES : 0) +
    (bitmapBytes > L3_BYTES ? L3_MISS_CYCLES : 0)
  );
}

/**
 * Plans the matcher. A hash group costs a probe every `stride` bytes, and its shortest pattern
 * bounds its stride. So the shortest patterns go to Teddy or to a small group of their own when
 * that lets the large group take a longer stride. The plan minimises the estimated cycles per
 * input byte over every split of the patterns, sorted by their longest stride, where it changes.
 */
export function planMatcher(patterns: PatternList): MatcherPlan {
  // Each pattern's longest stride: its length less 3, or less where it has all-zero grams.
  const limits = patterns.map((pattern) => maxStride(pattern, MAX_STRIDE));
  const order = patterns.map((_, index) => index).sort((a, b) => limits[a]! - limits[b]!);
  const length = (i: number) => limits[order[i]!]!;
  const stride = (from: number) =>
    Math.max(1, Math.min(length(from), Math.floor(MAX_HASH_ENTRIES / order.length)));
  const groupCost = (from: number, to: number) => {
    if (from >= to) return 0;
    const s = stride(from);
    return probeCycles((to - from) * s) / s;
  };

  // Split points: Teddy takes [0, t), the first group [t, g), the second [g, n).
  const n = order.length;
  const boundaries = [
    0,
    ...order.map((_, i) => i).filter((i) => i > 0 && length(i) !== length(i - 1)),
    n,
  ];
  let best = { cost: Infinity, t: 0, g: 0 };
  for (const t of boundaries.filter((b) => b <= MAX_TEDDY_PATTERNS)) {
    for (const g of boundaries.filter((b) => b >= t)) {
      const teddy = t > 0 ? TEDDY_BASE_CYCLES + TEDDY_CYCLES_PER_PATTERN * t : 0;
      const cost = teddy + groupCost(t, g) + groupCost(g, n);
      if (cost < best.cost) best = { cost, t, g };
    }
  }

  const groups: HashGroupPlan[] = [];
  for (const [from, to] of [
    [best.t, best.g],
    [best.g, n],
  ] as const) {
    if (from < to) groups.push({ stride: stride(from), members: order.slice(from, to) });
  }
  return { teddy: order.slice(0, best.t), groups };
}
