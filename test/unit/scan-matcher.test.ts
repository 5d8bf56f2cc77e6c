import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMatcherTables,
  planMatcher,
  type MatcherPlan,
} from '../../src/scan/matcher/tables.js';
import { MatcherInstance, matcherModule } from '../../src/scan/matcher/instance.js';
import { scan } from '../../src/scan/scan.js';
import { naiveOffsets, scratchDirectory, writePlanted } from '../helpers/scan.js';

/** Runs the WebAssembly matcher over one buffer and returns every hit as "pattern@offset". */
function matchAll(patterns: Uint8Array[], text: Uint8Array, plan?: MatcherPlan): string[] {
  const { module, tablesBase } = matcherModule();
  const tables = buildMatcherTables(patterns, tablesBase, 1_000_000, plan);
  const instance = new MatcherInstance(module, tables, text.length);
  instance.text.set(text);
  const { positions } = instance.scan(text.length, 0);
  return positions.map(([p, at]) => `${p}@${at}`).sort();
}

function expectedHits(patterns: Uint8Array[], text: Uint8Array): string[] {
  return patterns
    .flatMap((pattern, p) => naiveOffsets(text, pattern).map((at) => `${p}@${at}`))
    .sort();
}

describe('WebAssembly matcher', () => {
  it('finds the same hits as a naive search with short and long patterns', () => {
    // A small alphabet makes natural, overlapping and repeated occurrences likely.
    const text = Uint8Array.from(randomBytes(200_000), (b) => 0x61 + (b % 4));
    const patterns = Array.from({ length: 300 }, (_, i) => {
      const length = 4 + (i % 40);
      const at = (i * 7919) % (text.length - length);
      return text.slice(at, at + length);
    });
    const unique = [...new Map(patterns.map((p) => [Buffer.from(p).toString('hex'), p])).values()];
    const plan = planMatcher(unique);
    expect(plan.teddy.length).toBeGreaterThan(0);
    expect(plan.groups.length).toBeGreaterThan(0);
    expect(matchAll(unique, text)).toEqual(expectedHits(unique, text));
  });

  it('uses only the hash group when every pattern is long', () => {
    const text = randomBytes(100_000);
    const patterns = Array.from({ length: 50 }, (_, i) => text.subarray(i * 1000, i * 1000 + 40));
    const plan = planMatcher(patterns);
    expect(plan.teddy).toEqual([]);
    expect(plan.groups.map((g) => g.stride)).toEqual([32]);
    expect(matchAll(patterns, text)).toEqual(expectedHits(patterns, text));
  });

  it('finds values next to zero pages, which it otherwise skips', () => {
    const text = new Uint8Array(16 * 4096);
    const patterns = ['edge-of-a-zero-page', 'abcd', 'xyz!'].map((p) => Buffer.from(p));
    // Ending at, starting at and straddling page borders, between zero pages.
    Buffer.from('edge-of-a-zero-page').copy(text, 4096 - 19);
    Buffer.from('abcd').copy(text, 3 * 4096);
    Buffer.from('xyz!').copy(text, 6 * 4096 - 2);
    text[9 * 4096 + 100] = 7;
    expect(matchAll(patterns, text)).toEqual(expectedHits(patterns, text));
    expect(matchAll(patterns, text)).toHaveLength(3);
  });

  it('finds binary DECIMAL values with zero runs', () => {
    const text = new Uint8Array(16 * 4096);
    // 12.34 and 0.05 as DECIMAL(15,2): four zero bytes inside, so no gram window of length 4.
    const small = Uint8Array.from([0x80, 0, 0, 0, 0, 0x0c, 0x22]);
    const tiny = Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0x05]);
    const long = Buffer.from('a long value that lets the hash group take a long stride');
    text.set(small, 4096 - 3);
    text.set(tiny, 8 * 4096);
    text.set(long, 12 * 4096 - 10);
    const patterns = [small, tiny, long];
    expect(matchAll(patterns, text)).toEqual(expectedHits(patterns, text));
    expect(matchAll(patterns, text)).toHaveLength(3);
  });

  it('finds a pattern of zero bytes inside zero pages', () => {
    const text = new Uint8Array(8 * 4096);
    text.set([1, 2, 3], 5000);
    const pattern = Uint8Array.from([0, 0, 0, 0, 0, 1, 2, 3]);
    expect(matchAll([pattern], text)).toEqual([`0@${5000 - 5}`]);
  });

  it('finds every hit with Teddy and two hash groups together', () => {
    const text = Uint8Array.from(randomBytes(300_000), (b) => 0x61 + (b % 3));
    const take = (i: number, length: number) => text.slice(i * 37, i * 37 + length);
    const patterns = [
      ...Array.from({ length: 20 }, (_, i) => take(i, 4)),
      ...Array.from({ length: 200 }, (_, i) => take(100 + i, 5 + (i % 4))),
      ...Array.from({ length: 500 }, (_, i) => take(400 + i, 30)),
    ];
    const unique = [...new Map(patterns.map((p) => [Buffer.from(p).toString('hex'), p])).values()];
    const short = (length: number) =>
      unique.map((p, i) => [p, i] as const).filter(([p]) => p.length === length);
    const plan: MatcherPlan = {
      teddy: short(4).map(([, i]) => i),
      groups: [
        {
          stride: 2,
          members: unique.flatMap((p, i) => (p.length > 4 && p.length < 30 ? [i] : [])),
        },
        { stride: 27, members: short(30).map(([, i]) => i) },
      ],
    };
    expect(matchAll(unique, text, plan)).toEqual(expectedHits(unique, text));
  });

  it('finds overlapping values and a value inside another', () => {
    const text = Buffer.from('xxAnnaBellaBellaxxx');
    const patterns = ['AnnaBella', 'BellaBella', 'nnaB', 'Bella'].map((s) => Buffer.from(s));
    expect(matchAll(patterns, text)).toEqual(expectedHits(patterns, text));
    expect(matchAll(patterns, text)).toHaveLength(5);
  });

  it('finds values at the first and the last byte', () => {
    const text = Buffer.concat([
      Buffer.from('head'),
      randomBytes(5000),
      Buffer.from('the tail value'),
    ]);
    const patterns = [Buffer.from('head'), Buffer.from('tail value')];
    expect(matchAll(patterns, text)).toEqual(['0@0', `1@${text.length - 10}`]);
  });
});

describe('scan of files', () => {
  let dir: string;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, dispose } = await scratchDirectory());
  });
  afterAll(async () => {
    await dispose();
  });

  it('finds a value that crosses a chunk border', async () => {
    const path = join(dir, 'border.bin');
    const chunk = 64 * 1024;
    await writePlanted(path, 4 * chunk, [
      ['Thaddeus Okonkwo-Reyes', chunk - 9],
      ['Margarethe Vinterberg', 3 * chunk - 1],
    ]);
    const report = await scan({
      sources: [path],
      values: [{ value: 'Thaddeus Okonkwo-Reyes' }, { value: 'Margarethe Vinterberg' }],
      chunkBytes: chunk,
      workers: 2,
    });
    expect(report.values.map((v) => v.first.map((h) => h.offset))).toEqual([
      [chunk - 9],
      [3 * chunk - 1],
    ]);
    expect(report.values.map((v) => v.hits)).toEqual([1, 1]);
  });

  it('counts a hit in the chunk overlap once', async () => {
    const path = join(dir, 'overlap.bin');
    const chunk = 4096;
    // The value ends 2 bytes before the border, inside the next chunk's overlap.
    await writePlanted(path, 3 * chunk, [['overlap-region-value', chunk - 22]]);
    const report = await scan({
      sources: [path],
      values: [{ value: 'overlap-region-value' }],
      chunkBytes: chunk,
    });
    expect(report.values[0]!.hits).toBe(1);
  });

  it('finds UTF-16LE and binary DECIMAL forms and names the encoding', async () => {
    const path = join(dir, 'encodings.bin');
    await writePlanted(path, 50_000, [
      [Buffer.from('Strandvejen 117, 2900 Hellerup', 'utf16le'), 1000],
      [Buffer.from('800000014b0013', 'hex'), 20_000],
    ]);
    const report = await scan({
      sources: [path],
      values: [
        { value: 'Strandvejen 117, 2900 Hellerup' },
        { value: '84736.19', type: 'decimal', precision: 15, scale: 2 },
      ],
    });
    expect(report.values[0]!.encodings).toEqual({ utf8: 0, utf16le: 1 });
    expect(report.values[0]!.first[0]!.context?.match).toBe('Strandvejen 117, 2900 Hellerup');
    expect(report.values[1]!.encodings).toEqual({ utf8: 0, utf16le: 0, decimal: 1 });
    expect(report.values[1]!.first[0]!.offset).toBe(20_000);
  });

  it('reports an empty file as scanned with nothing found', async () => {
    const path = join(dir, 'empty.bin');
    await writeFile(path, '');
    const report = await scan({ sources: [path], values: [{ value: 'anything' }] });
    expect(report.summary.bytesScanned).toBe(0);
    expect(report.summary.valuesFound).toBe(0);
    expect(report.summary.complete).toBe(true);
  });

  it('rejects values shorter than the minimum length', async () => {
    const path = join(dir, 'short.bin');
    await writeFile(path, 'abc abcdef');
    const report = await scan({
      sources: [path],
      values: [{ value: 'abc' }, { value: 'abcdef' }],
      minLength: 5,
    });
    expect(report.rejected).toEqual([
      {
        index: 0,
        length: 3,
        reason: 'shorter than 5 bytes in every encoding that applies (utf8, utf16le)',
        label: undefined,
      },
    ]);
    expect(report.values.map((v) => v.index)).toEqual([1]);
  });

  it('throws NO_VALUES when every value is rejected', async () => {
    const path = join(dir, 'short.bin');
    await expect(scan({ sources: [path], values: [{ value: 'ab' }] })).rejects.toMatchObject({
      code: 'NO_VALUES',
    });
  });

  it('leaves values and context out of a redacted report', async () => {
    const path = join(dir, 'redact.bin');
    await writePlanted(path, 10_000, [['Margarethe Vinterberg', 10]]);
    const report = await scan({
      sources: [path],
      values: [{ value: 'Margarethe Vinterberg' }],
      redact: true,
    });
    const text = JSON.stringify(report);
    expect(text).not.toContain('Margarethe');
    expect(report.values[0]!.value).toBeUndefined();
    expect(report.values[0]!.first[0]!.context).toBeUndefined();
    expect(report.values[0]!.hash).toMatch(/^hmac:[0-9a-f]{16}$/);
    expect(report.values[0]!.length).toBe(21);
    expect(report.summary.fingerprintKey).toBe('random');
  });

  it('keys fingerprints per scan', async () => {
    const path = join(dir, 'fingerprint.bin');
    await writePlanted(path, 1000, []);
    const value = { value: '84736.19' };
    const run = (redactKey?: Uint8Array) =>
      scan({ sources: [path], values: [value], redact: true, redactKey });
    const key = randomBytes(32);
    const [first, second, keyed, keyedAgain] = await Promise.all([
      run(),
      run(),
      run(key),
      run(key),
    ]);
    const plain = createHash('sha256').update('84736.19').digest('hex');
    expect(first.values[0]!.hash).not.toBe(second.values[0]!.hash);
    expect(keyed.values[0]!.hash).toBe(keyedAgain.values[0]!.hash);
    expect(keyed.summary.fingerprintKey).toBe('given');
    for (const report of [first, second, keyed]) {
      expect(plain).not.toContain(report.values[0]!.hash.slice('hmac:'.length));
    }
  });

  it('rejects a fingerprint key shorter than 16 bytes', async () => {
    const path = join(dir, 'fingerprint.bin');
    await expect(
      scan({ sources: [path], values: [{ value: 'abcdef' }], redactKey: randomBytes(8) }),
    ).rejects.toMatchObject({ code: 'VALUES_INVALID' });
  });

  it('counts hits without listing any at max offsets 0', async () => {
    const path = join(dir, 'no-offsets.bin');
    await writePlanted(path, 20_000, [
      ['Thaddeus Okonkwo-Reyes', 100],
      ['Thaddeus Okonkwo-Reyes', 15_000],
    ]);
    const report = await scan({
      sources: [path],
      values: [{ value: 'Thaddeus Okonkwo-Reyes' }],
      maxOffsets: 0,
    });
    expect(report.values[0]!.hits).toBe(2);
    expect(report.values[0]!.first).toEqual([]);
  });

  it.each([
    ['maxOffsets', { maxOffsets: 1001 }],
    ['maxOffsets', { maxOffsets: -1 }],
    ['contextLines', { contextLines: 1.5 }],
    ['workers', { workers: 0 }],
    ['chunkBytes', { chunkBytes: 100 }],
  ])('rejects %s out of range', async (_name, option) => {
    const path = join(dir, 'fingerprint.bin');
    await expect(
      scan({ sources: [path], values: [{ value: 'abcdef' }], ...option }),
    ).rejects.toMatchObject({ code: 'VALUES_INVALID' });
  });

  it('finds a negative BIGINT as its 8 stored bytes', async () => {
    const path = join(dir, 'bigint.bin');
    // -5 as InnoDB stores a signed BIGINT: big-endian with the sign bit inverted.
    await writePlanted(path, 10_000, [[Buffer.from('7ffffffffffffffb', 'hex'), 4000]]);
    const report = await scan({
      sources: [path],
      values: [{ value: '-5', type: 'integer', integerBytes: 8 }],
    });
    expect(report.rejected).toEqual([]);
    expect(report.values[0]!.encodings).toEqual({ integer: 1 });
    expect(report.values[0]!.first[0]!.offset).toBe(4000);
    expect(report.values[0]!.tooShort).toEqual([
      { encoding: 'utf8', length: 2 },
      { encoding: 'utf16le', length: 2 },
    ]);
  });

  it('scans 80,000 values in two encodings', async () => {
    // 160,000 patterns: spreading them into one call, as Math.max(...lengths), overflows the stack.
    const path = join(dir, 'many.bin');
    const count = 80_000;
    const name = (i: number) => `account-${i.toString().padStart(7, '0')}`;
    await writePlanted(path, 100_000, [[name(count - 1), 5000]]);
    const values = Array.from({ length: count }, (_, i) => ({ value: name(i) }));
    const report = await scan({ sources: [path], values, workers: 1 });
    expect(report.summary.patterns).toBe(2 * count);
    expect(report.values.filter((v) => v.found).map((v) => v.value)).toEqual([name(count - 1)]);
  });

  it('scans bytes in memory', async () => {
    const bytes = Buffer.concat([
      randomBytes(100),
      Buffer.from('t.okonkwo-reyes@example.org'),
      randomBytes(100),
    ]);
    const report = await scan({
      sources: [{ bytes, name: 'capture' }],
      values: [{ value: 't.okonkwo-reyes@example.org' }],
    });
    expect(report.values[0]!.first[0]).toMatchObject({ source: 'capture', offset: 100 });
  });
});
