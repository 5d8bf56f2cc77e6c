import { spawnSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDirectory } from '../helpers/scan.js';

const SCAN_MODULE = resolve('dist/scan/scan.js');
const PATTERNS = 50_000;
const MAX_RSS_BYTES = 256 * 1024 * 1024;

// The child process builds 50,000 distinct values and scans a sparse 2 GiB file with a few of
// them planted far apart. It prints the values found and its peak RSS, and it must exit on its
// own, because a worker thread left running would keep it alive until the timeout.
const CHILD = `
const { scan } = await import(${JSON.stringify(`file://${SCAN_MODULE}`)});
const values = Array.from({ length: ${PATTERNS} }, (_, i) => ({ value: 'customer-' + i.toString(36).padStart(6, '0') + '@example.net' }));
const report = await scan({ sources: [process.argv[1]], values, encodings: ['utf8'] });
const found = report.values.filter((v) => v.found).map((v) => v.value);
console.log(JSON.stringify({ found, patterns: report.summary.patterns, bytes: report.summary.bytesScanned, maxRss: process.resourceUsage().maxRSS * 1024 }));
`;

describe('scan limits', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  let sparse: string;

  beforeAll(async () => {
    ({ dir, dispose } = await scratchDirectory());
    sparse = join(dir, 'sparse.bin');
    const handle = await open(sparse, 'w');
    await handle.truncate(2 * 1024 ** 3);
    await handle.write('customer-000000@example.net', 17);
    await handle.write('customer-0012ab@example.net', 1024 ** 3 + 5);
    await handle.write(
      `customer-${(PATTERNS - 1).toString(36).padStart(6, '0')}@example.net`,
      2 * 1024 ** 3 - 27,
    );
    await handle.close();
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('stays within 256 MiB for 50,000 patterns over 2 GiB and exits cleanly', () => {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, sparse], {
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(child.status).toBe(0);
    const result = JSON.parse(child.stdout) as {
      found: string[];
      patterns: number;
      bytes: number;
      maxRss: number;
    };
    expect(result.patterns).toBe(PATTERNS);
    expect(result.bytes).toBe(2 * 1024 ** 3);
    expect(result.found).toEqual(
      [
        'customer-000000@example.net',
        'customer-0012ab@example.net',
        `customer-${(PATTERNS - 1).toString(36).padStart(6, '0')}@example.net`,
      ]
        .sort((a, b) => a.localeCompare(b))
        .filter((v) => parseInt(v.slice(9, 15), 36) < PATTERNS),
    );
    expect(result.maxRss).toBeLessThanOrEqual(MAX_RSS_BYTES);
  });
});
