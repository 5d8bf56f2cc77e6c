import { GRAM_SIZE } from './grams.js';
import type { PatternList } from './plan.js';

export const TEDDY_BUCKETS = 8;

/** The Teddy tables: nibble masks, and the member patterns grouped by bucket. */
export interface TeddyTables {
  /** 4 low-nibble tables then 4 high-nibble tables, 16 bytes each. */
  readonly nibbles: Uint8Array;
  readonly bucketStarts: Uint32Array;
  readonly members: Uint32Array;
}

/**
 * Sorts the Teddy patterns by their first bytes and deals them into contiguous buckets, so that
 * patterns with similar prefixes share a bucket and its nibble masks stay selective.
 */
export function layoutTeddy(members: readonly number[], patterns: PatternList): TeddyTables {
  const prefix = (index: number) => Buffer.from(patterns[index]!.subarray(0, GRAM_SIZE));
  const sorted = [...members].sort((a, b) => Buffer.compare(prefix(a), prefix(b)));
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
