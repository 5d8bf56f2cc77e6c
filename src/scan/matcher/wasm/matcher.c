// Multi-pattern byte matcher compiled to WebAssembly (see build.sh beside this file).
//
// The tables are built in TypeScript (src/scan/matcher/tables.ts) and copied into this module's
// linear memory. This file only runs the scan loops, so it needs no allocator and no libc.
//
// Patterns are split into groups by stride. In a group with stride s, each pattern enters s
// consecutive 4-byte grams (its gram window), so any occurrence puts one of them at a position
// that is a multiple of s. The scan therefore reads the gram at every s-th position only, checks
// a bitmap indexed by a multiplicative hash of the gram, and verifies the few candidates. Short
// patterns go to a Teddy SIMD filter instead.

typedef unsigned int u32;
typedef unsigned char u8;

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define HASH_MULTIPLIER 0x9E3779B1u
// Positions are visited in blocks of this size, all groups per block, so that the second and
// later groups read bytes that are still in the CPU cache.
#define BLOCK_SIZE 65536u
#define TEDDY_FINGERPRINT 4
// Zero runs are detected per page; memory dumps are mostly whole zero pages.
#define ZERO_PAGE 4096u
#define TEDDY_BUCKETS 8

// One stride group, as written by tables.ts (all fields u32, little-endian).
typedef struct {
  u32 stride;
  u32 bitmap_shift;   // 32 - log2(bitmap bits)
  u32 bitmap;         // pointer to u32 words
  u32 bucket_shift;   // 32 - log2(bucket count)
  u32 bucket_starts;  // pointer to (bucket count + 1) u32 entry indexes
  u32 entries;        // pointer to Entry records
} Group;

// One (gram, pattern, offset) entry of a group. The pattern index is the low 24 bits of
// `packed`, and the offset in the pattern is the high 8.
typedef struct {
  u32 gram;
  u32 packed;
} Entry;

typedef struct {
  u32 bytes;   // pointer to the pattern bytes
  u32 length;
} Pattern;

// Teddy filter for a few short patterns, the SIMD algorithm of Hyperscan with 8 buckets and a
// 4-byte fingerprint. Lane i of the candidate mask has bit b set when bytes i..i+3 of the block
// could start a pattern of bucket b, judged by the low and the high nibble of each byte.
typedef struct {
  v128_t low[TEDDY_FINGERPRINT];
  v128_t high[TEDDY_FINGERPRINT];
  u32 bucket_starts[TEDDY_BUCKETS + 1];  // indexes into members
  u32 members;                           // pointer to u32 pattern indexes, grouped by bucket
  u32 reserved[3];
} Teddy;

// The scan plan and its output buffers, as written by tables.ts and matcher.ts.
typedef struct {
  u32 group_count;
  u32 groups;          // pointer to Group[group_count]
  u32 patterns;        // pointer to Pattern[]
  u32 counts;          // pointer to u32[pattern count], zero between scans
  u32 touched;         // pointer to u32[pattern count]: patterns with a hit in this scan
  u32 touched_count;
  u32 hits;            // pointer to (pattern, position) u32 pairs
  u32 hit_capacity;
  u32 hit_count;
  u32 positions_per_pattern;  // positions recorded per pattern and scan
  u32 teddy;                  // pointer to a Teddy filter, or 0
  u32 zero_gram;              // 1 when some table gram is four zero bytes
} Plan;

static inline u32 load32(const u8 *p) {
  u32 value;
  __builtin_memcpy(&value, p, 4);
  return value;
}

static int equal_bytes(const u8 *a, const u8 *b, u32 length) {
  u32 i = 0;
  for (; i + 4 <= length; i += 4) {
    if (load32(a + i) != load32(b + i)) return 0;
  }
  for (; i < length; i++) {
    if (a[i] != b[i]) return 0;
  }
  return 1;
}

static void record(Plan *plan, u32 pattern, u32 position) {
  u32 *counts = (u32 *)plan->counts;
  u32 count = counts[pattern];
  if (count == 0) ((u32 *)plan->touched)[plan->touched_count++] = pattern;
  counts[pattern] = count + 1;
  if (count < plan->positions_per_pattern && plan->hit_count < plan->hit_capacity) {
    u32 *hit = (u32 *)plan->hits + 2 * plan->hit_count++;
    hit[0] = pattern;
    hit[1] = position;
  }
}

// Records a hit when the pattern occurs at `start`. Hits that end at or before report_from lie
// wholly in the overlap that the previous chunk already scanned.
static void verify_start(Plan *plan, const u8 *text, u32 length, u32 start, u32 pattern_index,
                         u32 report_from) {
  const Pattern *pattern = &((const Pattern *)plan->patterns)[pattern_index];
  u32 end = start + pattern->length;
  if (end > length || end <= report_from) return;
  if (equal_bytes(text + start, (const u8 *)pattern->bytes, pattern->length)) {
    record(plan, pattern_index, start);
  }
}

// Verifies every entry in the gram's bucket against the text around position `at`.
static void verify(Plan *plan, const Group *group, const u8 *text, u32 length, u32 at, u32 gram,
                   u32 hash, u32 report_from) {
  const u32 *starts = (const u32 *)group->bucket_starts;
  const Entry *entries = (const Entry *)group->entries;
  u32 bucket = hash >> group->bucket_shift;

  for (u32 e = starts[bucket]; e < starts[bucket + 1]; e++) {
    const Entry *entry = &entries[e];
    u32 offset = entry->packed >> 24;
    u32 index = entry->packed & 0xffffff;
    if (entry->gram != gram || offset > at) continue;
    verify_start(plan, text, length, at - offset, index, report_from);
  }
}

static void scan_group(Plan *plan, const Group *group, const u8 *text, u32 length, u32 from,
                       u32 to, u32 report_from) {
  const u32 stride = group->stride;
  const u32 shift = group->bitmap_shift;
  const u32 *bitmap = (const u32 *)group->bitmap;
  u32 at = (from + stride - 1) / stride * stride;
  // The last gram that fits in the text starts at length - 4.
  if (to > length - 3) to = length - 3;

  // Four probes per iteration: they are independent, so the CPU overlaps their loads, and one
  // branch tests all four bits.
  const u32 step = 4 * stride;
  for (; at + 3 * stride < to; at += step) {
    u32 h0 = load32(text + at) * HASH_MULTIPLIER;
    u32 h1 = load32(text + at + stride) * HASH_MULTIPLIER;
    u32 h2 = load32(text + at + 2 * stride) * HASH_MULTIPLIER;
    u32 h3 = load32(text + at + 3 * stride) * HASH_MULTIPLIER;
    u32 b0 = h0 >> shift, b1 = h1 >> shift, b2 = h2 >> shift, b3 = h3 >> shift;
    u32 any = (bitmap[b0 >> 5] >> (b0 & 31)) | (bitmap[b1 >> 5] >> (b1 & 31)) |
              (bitmap[b2 >> 5] >> (b2 & 31)) | (bitmap[b3 >> 5] >> (b3 & 31));
    if (!(any & 1)) continue;
    for (u32 k = 0; k < 4; k++) {
      u32 position = at + k * stride;
      u32 gram = load32(text + position);
      u32 hash = gram * HASH_MULTIPLIER;
      u32 bit = hash >> shift;
      if (bitmap[bit >> 5] & (1u << (bit & 31))) {
        verify(plan, group, text, length, position, gram, hash, report_from);
      }
    }
  }
  for (; at < to; at += stride) {
    u32 gram = load32(text + at);
    u32 hash = gram * HASH_MULTIPLIER;
    u32 bit = hash >> shift;
    if (bitmap[bit >> 5] & (1u << (bit & 31))) {
      verify(plan, group, text, length, at, gram, hash, report_from);
    }
  }
}



static void verify_buckets(Plan *plan, const Teddy *teddy, const u8 *text, u32 length, u32 start,
                           u32 buckets, u32 report_from) {
  const u32 *members = (const u32 *)teddy->members;
  while (buckets) {
    u32 bucket = __builtin_ctz(buckets);
    buckets &= buckets - 1;
    for (u32 m = teddy->bucket_starts[bucket]; m < teddy->bucket_starts[bucket + 1]; m++) {
      verify_start(plan, text, length, start, members[m], report_from);
    }
  }
}

// Candidate buckets of one start position, computed byte by byte (for the tail of the text).
static u32 teddy_buckets_at(const Teddy *teddy, const u8 *text) {
  u32 buckets = 0xff;
  for (u32 k = 0; k < TEDDY_FINGERPRINT; k++) {
    u8 low[16], high[16];
    wasm_v128_store(low, teddy->low[k]);
    wasm_v128_store(high, teddy->high[k]);
    buckets &= low[text[k] & 15] & high[text[k] >> 4];
  }
  return buckets;
}

static void scan_teddy(Plan *plan, const Teddy *teddy, const u8 *text, u32 length, u32 from,
                       u32 to, u32 report_from) {
  const v128_t nibble = wasm_i8x16_splat(0x0f);
  u32 at = from;
  if (to > length - 3) to = length - 3;

  // The tables live in locals so that the loop reads memory only for the text.
  const v128_t low0 = teddy->low[0], low1 = teddy->low[1], low2 = teddy->low[2];
  const v128_t low3 = teddy->low[3], high0 = teddy->high[0], high1 = teddy->high[1];
  const v128_t high2 = teddy->high[2], high3 = teddy->high[3];

  // Whole 16-byte blocks whose fingerprint bytes all lie inside the text.
  for (; at + 16 <= to && at + 16 + TEDDY_FINGERPRINT - 1 <= length; at += 16) {
    const u8 *p = text + at;
    v128_t b0 = wasm_v128_load(p), b1 = wasm_v128_load(p + 1);
    v128_t b2 = wasm_v128_load(p + 2), b3 = wasm_v128_load(p + 3);
    v128_t mask = wasm_v128_and(
        wasm_v128_and(wasm_i8x16_swizzle(low0, wasm_v128_and(b0, nibble)),
                      wasm_i8x16_swizzle(high0, wasm_u8x16_shr(b0, 4))),
        wasm_v128_and(wasm_i8x16_swizzle(low1, wasm_v128_and(b1, nibble)),
                      wasm_i8x16_swizzle(high1, wasm_u8x16_shr(b1, 4))));
    if (!wasm_v128_any_true(mask)) continue;
    mask = wasm_v128_and(
        mask, wasm_v128_and(wasm_v128_and(wasm_i8x16_swizzle(low2, wasm_v128_and(b2, nibble)),
                                          wasm_i8x16_swizzle(high2, wasm_u8x16_shr(b2, 4))),
                            wasm_v128_and(wasm_i8x16_swizzle(low3, wasm_v128_and(b3, nibble)),
                                          wasm_i8x16_swizzle(high3, wasm_u8x16_shr(b3, 4)))));
    if (!wasm_v128_any_true(mask)) continue;

    u8 lanes[16];
    wasm_v128_store(lanes, mask);
    for (u32 i = 0; i < 16; i++) {
      if (lanes[i]) verify_buckets(plan, teddy, text, length, at + i, lanes[i], report_from);
    }
  }
  for (; at < to; at++) {
    u32 buckets = teddy_buckets_at(teddy, text + at);
    if (buckets) verify_buckets(plan, teddy, text, length, at, buckets, report_from);
  }
}

static int is_zero(const u8 *p, u32 length) {
  u32 i = 0;
  for (; i + 64 <= length; i += 64) {
    v128_t any = wasm_v128_or(wasm_v128_or(wasm_v128_load(p + i), wasm_v128_load(p + i + 16)),
                              wasm_v128_or(wasm_v128_load(p + i + 32), wasm_v128_load(p + i + 48)));
    if (wasm_v128_any_true(any)) return 0;
  }
  for (; i < length; i++) {
    if (p[i]) return 0;
  }
  return 1;
}

static void scan_range(Plan *plan, const u8 *text, u32 length, u32 from, u32 to,
                       u32 report_from) {
  const Group *groups = (const Group *)plan->groups;
  if (from >= to) return;
  if (plan->teddy) scan_teddy(plan, (const Teddy *)plan->teddy, text, length, from, to, report_from);
  for (u32 g = 0; g < plan->group_count; g++) {
    scan_group(plan, &groups[g], text, length, from, to, report_from);
  }
}

// Scans text[0, length) and records hits that end after report_from. Returns the hit count.
//
// When no table gram is zero, a gram read inside a zero page can match nothing, so of each
// zero page only the last 3 positions (whose grams reach into the next page) are visited.
EXPORT("scan")
u32 scan(Plan *plan, const u8 *text, u32 length, u32 report_from) {
  plan->touched_count = 0;
  plan->hit_count = 0;
  if (length < 4) return 0;

  for (u32 block = 0; block < length; block += BLOCK_SIZE) {
    u32 end = length - block > BLOCK_SIZE ? block + BLOCK_SIZE : length;
    u32 from = block;
    if (!plan->zero_gram) {
      for (u32 page = block; page < end; page += ZERO_PAGE) {
        u32 page_end = end - page > ZERO_PAGE ? page + ZERO_PAGE : end;
        if (page_end - page < ZERO_PAGE || !is_zero(text + page, ZERO_PAGE)) continue;
        scan_range(plan, text, length, from, page, report_from);
        from = page_end - 3;
      }
    }
    scan_range(plan, text, length, from, end, report_from);
  }
  return plan->hit_count;
}
