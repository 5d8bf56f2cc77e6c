/**
 * Builds the lookup tables of the WebAssembly matcher (matcher.c) in the layout it reads: a plan
 * header, stride groups, gram bitmaps, CSR buckets of (gram, pattern, offset) entries, and the
 * pattern bytes. Every pointer is absolute, so the image is valid at exactly one base address.
 */

/** Bytes of the gram the matcher hashes at each visited position. */
export const GRAM_SIZE = 4;

/** Largest stride of the hash group; longer strides add entries faster than they save probes. */
export const MAX_STRIDE = 32;

/** Patterns the Teddy filter takes at most (8 buckets; more raise its false-positive rate). */
export const MAX_TEDDY_PATTERNS = 64;

// Estimated CPU cycles per input byte, measured on x86-64 under V8 (see bench/scan): Teddy
// costs about as much as a hash probe every 8 bytes, and each of its patterns adds a little.
const HASH_PROBE_CYCLES = 4;
const TEDDY_BASE_CYCLES = 0.5;
const TEDDY_CYCLES_PER_PATTERN = 0.01;

const HASH_MULTIPLIER = 0x9e3779b1;
const MIN_BITMAP_BITS_LOG2 = 15;
// 4 MiB: each worker holds a copy, and the scan must stay within 256 MiB for 50,000 patterns.
const MAX_BITMAP_BITS_LOG2 = 25;
// Entries of the hash group at most (12 bytes each); the stride shrinks to stay below.
const MAX_HASH_ENTRIES = 1 << 20;
// Bitmap bits per entry: about 1.5 % of visited positions then pass the filter on random data.
const BITMAP_BITS_PER_ENTRY = 64;

// Plan header fields, u32 each, in matcher.c's Plan order.
export const PLAN = {
  groupCount: 0,
  groups: 1,
  patterns: 2,
  counts: 3,
  touched: 4,
  touchedCount: 5,
  hits: 6,
  hitCapacity: 7,
  hitCount: 8,
  positionsPerPattern: 9,
  teddy: 10,
  zeroGram: 11,
} as const;
const PLAN_WORDS = 12;
// Teddy struct of matcher.c: 8 nibble tables of 16 bytes, then u32 fields (word indexes).
const TEDDY = { bucketStarts: 32, members: 41 } as const;
const TEDDY_BYTES = 192;
const TEDDY_BUCKETS = 8;
const MAX_HITS_PER_SCAN = 1 << 20;
const GROUP_WORDS = 6;
// An entry is the gram and, packed in one word, the pattern index (24 bits) and the offset.
const ENTRY_WORDS = 2;
const ENTRY_OFFSET_SHIFT = 24;
const PATTERN_WORDS = 2;

/** The byte patterns to search for; indexes into this list identify hits. */
export type PatternList = readonly Uint8Array[];

/** How the planner split the patterns, for diagnostics and tests. */
export interface MatcherSummary {
  readonly teddyPatterns: number;
  readonly hashPatterns: number;
  readonly stride: number;
  readonly bitmapBits: number;
}

/** The memory image of the tables and where the scan's output buffers lie inside it. */
export interface MatcherTables {
  readonly base: number;
  readonly image: Uint8Array;
  readonly planPointer: number;
  readonly hitCapacity: number;
  readonly summary: MatcherSummary;
  readonly longestPattern: number;
}

/** Which patterns the Teddy filter takes and the stride of the hash group for the rest. */
export interface MatcherPlan {
  readonly teddy: readonly number[];
  readonly hashed: readonly number[];
  readonly stride: number;
}

/**
 * Splits the patterns between Teddy and one hash group. A hash group costs one probe every
 * `stride` bytes whatever its size, and its stride is bounded by its shortest pattern, so the
 * shortest patterns go to Teddy when that lengthens the stride enough to pay for Teddy's pass.
 */
export function planMatcher(patterns: PatternList): MatcherPlan {
  const order = patterns
    .map((_, index) => index)
    .sort((a, b) => patterns[a]!.length - patterns[b]!.length);
  const strideFrom = (k: number) =>
    k < order.length
      ? Math.max(
          1,
          Math.min(
            MAX_STRIDE,
            patterns[order[k]!]!.length - GRAM_SIZE + 1,
            Math.floor(MAX_HASH_ENTRIES / (order.length - k)),
          ),
        )
      : 0;
  const cost = (k: number) =>
    (k > 0 ? TEDDY_BASE_CYCLES + TEDDY_CYCLES_PER_PATTERN * k : 0) +
    (k < order.length ? HASH_PROBE_CYCLES / strideFrom(k) : 0);

  let best = 0;
  for (let k = 1; k <= Math.min(MAX_TEDDY_PATTERNS, order.length); k++) {
    if (cost(k) < cost(best)) best = k;
  }
  return { teddy: order.slice(0, best), hashed: order.slice(best), stride: strideFrom(best) };
}

function gramAt(pattern: Uint8Array, offset: number): number {
  return (
    (pattern[offset]! |
      (pattern[offset + 1]! << 8) |
      (pattern[offset + 2]! << 16) |
      (pattern[offset + 3]! << 24)) >>>
    0
  );
}

function hashGram(gram: number): number {
  return Math.imul(gram, HASH_MULTIPLIER) >>> 0;
}

function log2Ceil(value: number): number {
  return Math.max(0, Math.ceil(Math.log2(Math.max(1, value))));
}

class ImageWriter {
  private size = 0;

  constructor(readonly base: number) {}

  /** Reserves `bytes`, 16-byte aligned for the SIMD tables, and returns the absolute address. */
  allocate(bytes: number): number {
    const address = this.base + this.size;
    this.size += Math.ceil(bytes / 16) * 16;
    return address;
  }

  get length() {
    return this.size;
  }
}

interface HashGroup {
  stride: number;
  bitmapLog2: number;
  bucketLog2: number;
  entryCount: number;
}

function shapeHashGroup(stride: number, members: number): HashGroup {
  const entryCount = members * stride;
  const bitmapLog2 = Math.min(
    MAX_BITMAP_BITS_LOG2,
    Math.max(MIN_BITMAP_BITS_LOG2, log2Ceil(entryCount * BITMAP_BITS_PER_ENTRY)),
  );
  const bucketLog2 = Math.min(bitmapLog2, Math.max(1, log2Ceil(entryCount)));
  return { stride, bitmapLog2, bucketLog2, entryCount };
}

/**
 * Fills the bitmap, the CSR bucket starts and the entries of a hash group in place (views into
 * the image), in two passes over the grams so that no temporary copy of the entries exists.
 */
function fillHashGroup(
  group: HashGroup,
  members: readonly number[],
  patterns: PatternList,
  out: { bitmap: Uint32Array; starts: Uint32Array; entries: Uint32Array },
) {
  const { stride, bitmapLog2, bucketLog2 } = group;
  const forEachGram = (
    visit: (gram: number, hash: number, index: number, offset: number) => void,
  ) => {
    for (const index of members) {
      const pattern = patterns[index]!;
      for (let offset = 0; offset < stride; offset++) {
        const gram = gramAt(pattern, offset);
        visit(gram, hashGram(gram), index, offset);
      }
    }
  };

  forEachGram((_gram, hash) => {
    const bit = hash >>> (32 - bitmapLog2);
    out.bitmap[bit >>> 5]! |= 1 << (bit & 31);
    out.starts[(hash >>> (32 - bucketLog2)) + 1]! += 1;
  });
  for (let b = 1; b < out.starts.length; b++) out.starts[b]! += out.starts[b - 1]!;

  // starts[b] serves as bucket b's cursor, which leaves it at the start of bucket b + 1; the
  // shift afterwards restores the starts.
  forEachGram((gram, hash, index, offset) => {
    const slot = out.starts[hash >>> (32 - bucketLog2)]!++;
    out.entries[slot * ENTRY_WORDS] = gram;
    out.entries[slot * ENTRY_WORDS + 1] = (index | (offset << ENTRY_OFFSET_SHIFT)) >>> 0;
  });
  for (let b = out.starts.length - 1; b >= 1; b--) out.starts[b] = out.starts[b - 1]!;
  out.starts[0] = 0;
}

interface TeddyTables {
  /** 4 low-nibble tables then 4 high-nibble tables, 16 bytes each. */
  nibbles: Uint8Array;
  bucketStarts: Uint32Array;
  members: Uint32Array;
}

/** Sorts the Teddy patterns by their first bytes and deals them into contiguous buckets. */
function layoutTeddy(members: readonly number[], patterns: PatternList): TeddyTables {
  const sorted = [...members].sort((a, b) =>
    Buffer.compare(patterns[a]!.subarray(0, GRAM_SIZE), patterns[b]!.subarray(0, GRAM_SIZE)),
  );
  const nibbles = new Uint8Array(2 * GRAM_SIZE * 16);
  const bucketStarts = new Uint32Array(TEDDY_BUCKETS + 1);
  const perBucket = Math.ceil(sorted.length / TEDDY_BUCKETS);

  sorted.forEach((index, position) => {
    const bucket = Math.floor(position / perBucket);
    bucketStarts[bucket + 1]! += 1;
    const pattern = patterns[index]!;
    for (let k = 0; k < GRAM_SIZE; k++) {
      nibbles[k * 16 + (pattern[k]! & 15)]! |= 1 << bucket;
      nibbles[(GRAM_SIZE + k) * 16 + (pattern[k]! >> 4)]! |= 1 << bucket;
    }
  });
  for (let b = 1; b <= TEDDY_BUCKETS; b++) bucketStarts[b]! += bucketStarts[b - 1]!;
  return { nibbles, bucketStarts, members: Uint32Array.from(sorted) };
}

/** True when the matcher could match four zero bytes, which disables skipping zero pages. */
function hasZeroGram(plan: MatcherPlan, patterns: PatternList): boolean {
  if (plan.teddy.some((index) => gramAt(patterns[index]!, 0) === 0)) return true;
  return plan.hashed.some((index) => {
    for (let offset = 0; offset < plan.stride; offset++) {
      if (gramAt(patterns[index]!, offset) === 0) return true;
    }
    return false;
  });
}

/**
 * Builds the matcher tables at `base` for `patterns` (each at least GRAM_SIZE bytes), with room
 * for `positionsPerPattern` recorded positions per pattern and scan call.
 */
export function buildMatcherTables(
  patterns: PatternList,
  base: number,
  positionsPerPattern: number,
): MatcherTables {
  const plan = planMatcher(patterns);
  const hash = plan.hashed.length > 0 ? shapeHashGroup(plan.stride, plan.hashed.length) : undefined;
  const teddy = plan.teddy.length > 0 ? layoutTeddy(plan.teddy, patterns) : undefined;
  const patternBytes = patterns.reduce((sum, p) => sum + Math.ceil(p.length / 8) * 8, 0);
  const hitCapacity = Math.min(patterns.length * positionsPerPattern, MAX_HITS_PER_SCAN);

  const writer = new ImageWriter(base);
  const planAddress = writer.allocate(PLAN_WORDS * 4);
  const groupAddress = writer.allocate(GROUP_WORDS * 4);
  const bitmapWords = hash ? 2 ** (hash.bitmapLog2 - 5) : 0;
  const startWords = hash ? 2 ** hash.bucketLog2 + 1 : 0;
  const entryWords = hash ? hash.entryCount * ENTRY_WORDS : 0;
  const bitmapAddress = writer.allocate(bitmapWords * 4);
  const startsAddress = writer.allocate(startWords * 4);
  const entriesAddress = writer.allocate(entryWords * 4);
  const teddyAddress = writer.allocate(TEDDY_BYTES);
  const teddyMembersAddress = writer.allocate(teddy?.members.byteLength ?? 0);
  const patternTable = writer.allocate(patterns.length * PATTERN_WORDS * 4);
  const patternData = writer.allocate(patternBytes);
  const counts = writer.allocate(patterns.length * 4);
  const touched = writer.allocate(patterns.length * 4);
  const hits = writer.allocate(hitCapacity * 8);

  // Shared memory, so that workers receive the image without a copy of their own.
  const image = new Uint8Array(new SharedArrayBuffer(writer.length));
  const words = new Uint32Array(image.buffer);
  const at = (address: number) => (address - base) / 4;

  words.set(
    [
      hash ? 1 : 0,
      groupAddress,
      patternTable,
      counts,
      touched,
      0,
      hits,
      hitCapacity,
      0,
      positionsPerPattern,
      teddy ? teddyAddress : 0,
      hasZeroGram(plan, patterns) ? 1 : 0,
    ],
    at(planAddress),
  );
  if (hash) {
    words.set(
      [
        hash.stride,
        32 - hash.bitmapLog2,
        bitmapAddress,
        32 - hash.bucketLog2,
        startsAddress,
        entriesAddress,
      ],
      at(groupAddress),
    );
    fillHashGroup(hash, plan.hashed, patterns, {
      bitmap: words.subarray(at(bitmapAddress), at(bitmapAddress) + bitmapWords),
      starts: words.subarray(at(startsAddress), at(startsAddress) + startWords),
      entries: words.subarray(at(entriesAddress), at(entriesAddress) + entryWords),
    });
  }
  if (teddy) {
    image.set(teddy.nibbles, teddyAddress - base);
    words.set(teddy.bucketStarts, at(teddyAddress) + TEDDY.bucketStarts);
    words[at(teddyAddress) + TEDDY.members] = teddyMembersAddress;
    words.set(teddy.members, at(teddyMembersAddress));
  }

  let cursor = patternData;
  patterns.forEach((pattern, index) => {
    words.set([cursor, pattern.length], at(patternTable) + index * PATTERN_WORDS);
    image.set(pattern, cursor - base);
    cursor += Math.ceil(pattern.length / 8) * 8;
  });

  return {
    base,
    image,
    planPointer: planAddress,
    hitCapacity,
    summary: {
      teddyPatterns: plan.teddy.length,
      hashPatterns: plan.hashed.length,
      stride: plan.stride,
      bitmapBits: hash ? 2 ** hash.bitmapLog2 : 0,
    },
    longestPattern: Math.max(0, ...patterns.map((p) => p.length)),
  };
}
