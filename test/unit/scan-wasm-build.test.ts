import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/mariadb/binaries.js';
import { scratchDirectory } from '../helpers/scan.js';

const clang = await findExecutable('clang');
if (!clang && process.env.MARIADB_TDX_REQUIRE_INTEGRATION) {
  throw new Error(
    'clang is not installed but MARIADB_TDX_REQUIRE_INTEGRATION is set; run scripts/setup.sh --test',
  );
}

// The committed module records the compiler that built it; another clang version may emit
// different (equally valid) bytes, so the comparison needs the same version.
const committedClang = /^\/\/ clang: (.*)$/m.exec(
  await readFile('src/scan/matcher/wasm-binary.ts', 'utf8'),
)?.[1];
const localClang = clang
  ? spawnSync(clang, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]
  : undefined;

describe.skipIf(!clang || localClang !== committedClang)('WebAssembly matcher build', () => {
  let dir: string;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, dispose } = await scratchDirectory());
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('rebuilds the committed module byte for byte from matcher.c', async () => {
    const output = join(dir, 'wasm-binary.ts');
    const build = spawnSync('src/scan/matcher/wasm/build.sh', [output], { encoding: 'utf8' });
    expect(build.status).toBe(0);
    const rebuilt = await readFile(output, 'utf8');
    const committed = await readFile('src/scan/matcher/wasm-binary.ts', 'utf8');
    expect(rebuilt).toBe(committed);
  });
});
