/**
 * Builds the lookup tables of the WebAssembly matcher (matcher.c) in the layout it reads: a plan
 * header, hash groups with their bitmaps, CSR buckets and entries, the Teddy filter, the pattern
 * bytes, and the per-scan output buffers. Every pointer is absolute, so the image is valid at
 * exactly one base address.
 */
import { gramAt, gramWindow } from './grams.js';
import { fillHashGroup, shapeHashGroup } from './hash-group.js';
import { planMatcher, type MatcherPlan, type PatternList } from './plan.js';
import { layoutTeddy } from './teddy.js';

export { GRAM_SIZE } from './grams.js';
export { planMatcher, type MatcherPlan, type PatternList } from './plan.js';

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
const GROUP_WORDS = 6;
const PATTERN_WORDS = 2;
// Teddy struct of matcher.c: 8 nibble tables of 16 bytes, then u32 fields (word indexes).
const TEDDY = { bucketStarts: 32, members: 41 } as const;
const TEDDY_BYTES = 192;
const MAX_HITS_PER_SCAN = 1 << 20;

/** Split of the patterns chosen by the planner, for diagnostics and tests. */
export interface MatcherSummary {
  readonly teddyPatterns: number;
  /** Stride and pattern count of each hash group. */
  readonly groups: readonly {
    readonly stride: number;
    readonly patterns: number;
    readonly bitmapBits: number;
  }[];
}

/** The memory image of the tables and where the scan's output buffers lie inside it. */
export interface MatcherTables {
  readonly base: number;
  readonly image: Uint8Array;
  readonly planPointer: number;
  readonly hitCapacity: number;
  readonly summary: MatcherSummary;
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

/** True when the matcher could match four zero bytes, which disables skipping zero pages. */
function hasZeroGram(plan: MatcherPlan, patterns: PatternList): boolean {
  if (plan.teddy.some((index) => gramAt(patterns[index]!, 0) === 0)) return true;
  return plan.groups.some((group) =>
    group.members.some((index) => {
      const first = gramWindow(patterns[index]!, group.stride);
      for (let offset = first; offset < first + group.stride; offset++) {
        if (gramAt(patterns[index]!, offset) === 0) return true;
      }
      return false;
    }),
  );
}

/**
 * Builds the matcher tables at `base` for `patterns` (each at least GRAM_SIZE bytes), with room
 * for `positionsPerPattern` recorded positions per pattern and scan call.
 */
export function buildMatcherTables(
  patterns: PatternList,
  base: number,
  positionsPerPattern: number,
  plan: MatcherPlan = planMatcher(patterns),
): MatcherTables {
  const shapes = plan.groups.map(shapeHashGroup);
  const teddy = plan.teddy.length > 0 ? layoutTeddy(plan.teddy, patterns) : undefined;
  const patternBytes = patterns.reduce((sum, p) => sum + Math.ceil(p.length / 8) * 8, 0);
  const hitCapacity = Math.min(patterns.length * positionsPerPattern, MAX_HITS_PER_SCAN);

  const writer = new ImageWriter(base);
  const planAddress = writer.allocate(PLAN_WORDS * 4);
  const groupTable = writer.allocate(shapes.length * GROUP_WORDS * 4);
  const groupAddresses = shapes.map((shape) => ({
    bitmap: writer.allocate(shape.bitmapWords * 4),
    starts: writer.allocate(shape.startWords * 4),
    entries: writer.allocate(shape.entryWords * 4),
  }));
  const teddyAddress = writer.allocate(TEDDY_BYTES);
  const teddyMembers = writer.allocate(teddy?.members.byteLength ?? 0);
  const patternTable = writer.allocate(patterns.length * PATTERN_WORDS * 4);
  const patternData = writer.allocate(patternBytes);
  const counts = writer.allocate(patterns.length * 4);
  const touched = writer.allocate(patterns.length * 4);
  const hits = writer.allocate(hitCapacity * 8);

  // Shared memory, so that workers receive the image without a copy of their own.
  const image = new Uint8Array(new SharedArrayBuffer(writer.length));
  const words = new Uint32Array(image.buffer);
  const at = (address: number) => (address - base) / 4;
  const view = (address: number, length: number) =>
    words.subarray(at(address), at(address) + length);

  words.set(
    [
      shapes.length,
      groupTable,
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

  shapes.forEach((shape, g) => {
    const address = groupAddresses[g]!;
    words.set(
      [
        shape.stride,
        32 - shape.bitmapLog2,
        address.bitmap,
        32 - shape.bucketLog2,
        address.starts,
        address.entries,
      ],
      at(groupTable) + g * GROUP_WORDS,
    );
    fillHashGroup(shape, plan.groups[g]!.members, patterns, {
      bitmap: view(address.bitmap, shape.bitmapWords),
      starts: view(address.starts, shape.startWords),
      entries: view(address.entries, shape.entryWords),
    });
  });

  if (teddy) {
    image.set(teddy.nibbles, teddyAddress - base);
    words.set(teddy.bucketStarts, at(teddyAddress) + TEDDY.bucketStarts);
    words[at(teddyAddress) + TEDDY.members] = teddyMembers;
    words.set(teddy.members, at(teddyMembers));
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
      groups: plan.groups.map((group, g) => ({
        stride: group.stride,
        patterns: group.members.length,
        bitmapBits: 2 ** shapes[g]!.bitmapLog2,
      })),
    },
  };
}
