/** Bytes of the gram the matcher hashes at each visited position. */
export const GRAM_SIZE = 4;

// Fibonacci hashing: the top bits of gram × 2^32/φ index the bitmap and the buckets.
const HASH_MULTIPLIER = 0x9e3779b1;

/** Reads the little-endian 4-byte gram at `offset`, as matcher.c loads it. */
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

function zeroBytes(gram: number): number {
  let zeros = 0;
  for (let shift = 0; shift < 32; shift += 8) if (((gram >>> shift) & 0xff) === 0) zeros++;
  return zeros;
}

/** Largest offset of a gram in its pattern: matcher.c keeps the offset in 8 bits. */
export const MAX_GRAM_OFFSET = 255;

function gramScore(pattern: Uint8Array, offset: number): number {
  const gram = gramAt(pattern, offset);
  return gram === 0 ? 1000 : zeroBytes(gram);
}

/**
 * Chooses which `stride` consecutive grams of a pattern a hash group enters. Any window works,
 * because an occurrence at p covers exactly one multiple of the stride in p+k..p+k+stride-1.
 * The window avoids the all-zero gram, which would match every position of a zero page, and
 * then prefers grams with fewer zero bytes, which are rarer in memory. Returns the first offset.
 */
export function gramWindow(pattern: Uint8Array, stride: number): number {
  const lastStart = Math.min(pattern.length - GRAM_SIZE, MAX_GRAM_OFFSET) - stride + 1;
  let score = 0;
  for (let offset = 0; offset < stride; offset++) score += gramScore(pattern, offset);
  let best = 0;
  let bestScore = score;
  for (let start = 1; start <= lastStart; start++) {
    score += gramScore(pattern, start + stride - 1) - gramScore(pattern, start - 1);
    if (score < bestScore) [best, bestScore] = [start, score];
  }
  return best;
}

/** Returns the maximum stride whose gram window avoids the all-zero gram (at least 1). */
export function maxStride(pattern: Uint8Array, limit: number): number {
  let longest = 0;
  let run = 0;
  const lastOffset = Math.min(pattern.length - GRAM_SIZE, MAX_GRAM_OFFSET);
  for (let offset = 0; offset <= lastOffset; offset++) {
    run = gramAt(pattern, offset) === 0 ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return Math.max(1, Math.min(limit, longest));
}
