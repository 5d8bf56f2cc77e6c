import { gramAt, gramWindow, hashGram, log2Ceil } from './grams.js';
import { bitmapBitsLog2, type HashGroupPlan, type PatternList } from './plan.js';

// An entry is the gram and, packed in one word, the pattern index (24 bits) and the offset.
export const ENTRY_WORDS = 2;
const ENTRY_OFFSET_SHIFT = 24;

/** Sizes of a hash group's tables, in 32-bit words. */
export interface HashGroupShape {
  readonly stride: number;
  readonly bitmapLog2: number;
  readonly bucketLog2: number;
  readonly bitmapWords: number;
  readonly startWords: number;
  readonly entryWords: number;
}

export function shapeHashGroup(group: HashGroupPlan): HashGroupShape {
  const entries = group.members.length * group.stride;
  const bitmapLog2 = bitmapBitsLog2(entries);
  const bucketLog2 = Math.min(bitmapLog2, Math.max(1, log2Ceil(entries)));
  return {
    stride: group.stride,
    bitmapLog2,
    bucketLog2,
    bitmapWords: 2 ** (bitmapLog2 - 5),
    startWords: 2 ** bucketLog2 + 1,
    entryWords: entries * ENTRY_WORDS,
  };
}

/**
 * Fills the bitmap, the CSR bucket starts and the entries of a hash group in place (views into
 * the image), in two passes over the grams so that no temporary copy of the entries exists.
 * Each member is entered once per offset of its gram window (see gramWindow), so the scan finds
 * each occurrence once. The matcher tests check this against a naive search.
 */
export function fillHashGroup(
  shape: HashGroupShape,
  members: readonly number[],
  patterns: PatternList,
  out: { bitmap: Uint32Array; starts: Uint32Array; entries: Uint32Array },
) {
  const { stride, bitmapLog2, bucketLog2 } = shape;
  const windows = Uint8Array.from(members, (index) => gramWindow(patterns[index]!, stride));
  const forEachGram = (
    visit: (gram: number, hash: number, index: number, offset: number) => void,
  ) => {
    members.forEach((index, m) => {
      const pattern = patterns[index]!;
      const first = windows[m]!;
      for (let offset = first; offset < first + stride; offset++) {
        const gram = gramAt(pattern, offset);
        visit(gram, hashGram(gram), index, offset);
      }
    });
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
