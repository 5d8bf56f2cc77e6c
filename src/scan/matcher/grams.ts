/** Bytes of the gram the matcher hashes at each visited position. */
export const GRAM_SIZE = 4;

// Fibonacci hashing: the top bits of gram × 2^32/φ index the bitmap and the buckets.
const HASH_MULTIPLIER = 0x9e3779b1;

/** The little-endian 4-byte gram at `offset`, as matcher.c loads it. */
export function gramAt(pattern: Uint8Array, offset: number): number {
  return (
    (pattern[offset]! |
      (pattern[offset + 1]! << 8) |
      (pattern[offset + 2]! << 16) |
      (pattern[offset + 3]! << 24)) >>>
    0
  );
}

export function hashGram(gram: number): number {
  return Math.imul(gram, HASH_MULTIPLIER) >>> 0;
}

export function log2Ceil(value: number): number {
  return Math.max(0, Math.ceil(Math.log2(Math.max(1, value))));
}
