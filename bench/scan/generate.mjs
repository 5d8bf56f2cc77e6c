// Generates the memory-dump-like input and the needle files of the scan benchmark.
//
//   node bench/scan/generate.mjs [--size-gib 2] [--out bench/scan/out]
//
// The dump is a mix of 4 KiB pages, as a VM or process image is. Its pages are zero, random
// (like compressed or encrypted data), binary structures (pointers, counters, small integers),
// ASCII text (log lines, SQL, JSON) or UTF-16LE text. Banking values are planted in it as UTF-8,
// UTF-16LE and binary DECIMAL records. The same seed gives the same bytes.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  bankingSensitiveValues,
  createRandom,
  generateBanking,
} from '../../dist/dataset/banking.js';
import { encodeDecimal } from '../../dist/scan/needles/encodings.js';

const PAGE = 4096;
const CHUNK_PAGES = 16384; // 64 MiB per write
const NEEDLE_COUNTS = [10, 1000, 20000];
const PLANTED_VALUES = 300;

const { values: args } = parseArgs({
  options: {
    'size-gib': { type: 'string', default: '2' },
    out: { type: 'string', default: 'bench/scan/out' },
  },
});
const size = Number(args['size-gib']) * 1024 ** 3;
mkdirSync(args.out, { recursive: true });

// The data set's PRNG, so that the input is the same on every machine.
const next = createRandom(20261204);

// Needles are banking values taken from each column in turn: names, emails, phone numbers,
// addresses, account numbers and balances. The 10 and 1000 sets are prefixes of the 20,000 set.
const byColumn = new Map();
for (const value of bankingSensitiveValues(generateBanking({ rows: 4000, seed: 7 }))) {
  const column = `${value.table}.${value.column}`;
  if (!byColumn.has(column)) byColumn.set(column, []);
  byColumn.get(column).push(value);
}
const all = [];
for (let i = 0; all.length < Math.max(...NEEDLE_COUNTS); i++) {
  for (const values of byColumn.values()) if (i < values.length) all.push(values[i]);
}
all.length = Math.max(...NEEDLE_COUNTS);
for (const count of NEEDLE_COUNTS) {
  const subset = all.slice(0, count);
  writeFileSync(
    join(args.out, `needles-${count}.txt`),
    subset.map((v) => v.value).join('\n') + '\n',
  );
  writeFileSync(join(args.out, `needles-${count}.json`), JSON.stringify({ values: subset }));
}

const WORDS = (
  'select insert update from where order by group limit customer account balance transfer ' +
  'mysql innodb buffer pool page flush log checkpoint thread connection query error warning ' +
  'note user host port latency request response json status ok null true false value index'
).split(' ');

function textLine() {
  const kind = Math.floor(next() * 3);
  const words = Array.from(
    { length: 4 + Math.floor(next() * 12) },
    () => WORDS[Math.floor(next() * WORDS.length)],
  );
  if (kind === 0)
    return `2026-12-04 10:${String(Math.floor(next() * 60)).padStart(2, '0')}:00 0 [Note] ${words.join(' ')}\n`;
  if (kind === 1)
    return `SELECT ${words.slice(0, 3).join(', ')} FROM t${Math.floor(next() * 99)} WHERE id = ${Math.floor(next() * 1e6)};\n`;
  return `{"${words[0]}":"${words.slice(1).join(' ')}","n":${Math.floor(next() * 1e5)}}\n`;
}

function fillPage(page, kind) {
  if (kind < 0.4) return; // zero page
  if (kind < 0.6) {
    for (let i = 0; i < PAGE; i += 4) page.writeUInt32LE((next() * 4294967296) >>> 0, i);
  } else if (kind < 0.75) {
    // Pointers into a heap, counters and flags, as in allocator and kernel structures.
    for (let i = 0; i < PAGE; i += 16) {
      page.writeBigUInt64LE(0x7f3a00000000n + BigInt(Math.floor(next() * 2 ** 30)) * 16n, i);
      page.writeUInt32LE(Math.floor(next() * 1000), i + 8);
      page.writeUInt32LE(next() < 0.5 ? 0 : 1, i + 12);
    }
  } else {
    let text = '';
    while (text.length < PAGE) text += textLine();
    if (kind < 0.9) page.write(text.slice(0, PAGE), 0, 'latin1');
    else page.write(text.slice(0, PAGE / 2), 0, 'utf16le');
  }
}

function plant(page, value) {
  const form = Math.floor(next() * 3);
  let bytes = Buffer.from(value.value, form === 1 ? 'utf16le' : 'utf8');
  if (form === 2 && value.type === 'decimal')
    bytes = Buffer.from(encodeDecimal(value.value, value.precision, value.scale));
  bytes.copy(page, Math.floor(next() * (PAGE - bytes.length)));
}

const pages = size / PAGE;
const plantEvery = Math.floor(pages / PLANTED_VALUES);
const output = createWriteStream(join(args.out, 'dump.bin'));
for (let first = 0; first < pages; first += CHUNK_PAGES) {
  const chunk = Buffer.alloc(Math.min(CHUNK_PAGES, pages - first) * PAGE);
  for (let p = 0; p < chunk.length / PAGE; p++) {
    const page = chunk.subarray(p * PAGE, (p + 1) * PAGE);
    fillPage(page, next());
    if ((first + p) % plantEvery === 0) plant(page, all[Math.floor(next() * 1000)]);
  }
  if (!output.write(chunk)) await new Promise((resolve) => output.once('drain', resolve));
}
await new Promise((resolve) => output.end(resolve));
console.error(
  `wrote ${join(args.out, 'dump.bin')} (${size} bytes) and needle files for ${NEEDLE_COUNTS.join(', ')} values`,
);
