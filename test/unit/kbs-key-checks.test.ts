import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reconcileKeyChecks } from '../../src/kbs/agent/key-checks.js';
import type { ReleasedKeys, ReleasedVersion } from '../../src/kbs/agent/obtain.js';
import { requireRamDirectory, writeRamKeyFile } from '../../src/kbs/agent/ram-key-file.js';
import { computeKeyCheckValue, parseKeyFile } from '../../src/mariadb/keys.js';
import { scratchDir } from '../helpers/scratch.js';

function version(number: number, key = randomBytes(32)): ReleasedVersion {
  return { version: number, key, kcv: computeKeyCheckValue(key) };
}

async function recordPath() {
  return join(await scratchDir('kbs-kcv-'), 'broker-key-check.json');
}

describe('check values of released keys', () => {
  it('records versions on first use and pins the newest', async () => {
    const path = await recordPath();
    const released: ReleasedKeys = new Map([
      [1, [version(1), version(2)]],
      [2, [version(1)]],
    ]);
    const result = await reconcileKeyChecks(path, 'bank', released, { pin: true });
    expect(result.added).toHaveLength(3);
    expect(result.pinned.get(1)?.version).toBe(2);
    const document = JSON.parse(await readFile(path, 'utf8'));
    expect(document.keys['1']['2']).toBe(released.get(1)![1]!.kcv);
  });

  it('keeps the pinned version after a rotation', async () => {
    const path = await recordPath();
    const first = version(1);
    await reconcileKeyChecks(path, 'bank', new Map([[1, [first]]]), { pin: true });
    const rotated: ReleasedKeys = new Map([[1, [first, version(2)]]]);
    const result = await reconcileKeyChecks(path, 'bank', rotated, { pin: true });
    expect(result.added).toEqual([{ id: 1, version: 2 }]);
    expect(result.pinned.get(1)?.key.equals(first.key)).toBe(true);
  });

  it('rejects a different key for a recorded version', async () => {
    const path = await recordPath();
    await reconcileKeyChecks(path, 'bank', new Map([[1, [version(1)]]]), { pin: false });
    await expect(
      reconcileKeyChecks(path, 'bank', new Map([[1, [version(1)]]]), { pin: false }),
    ).rejects.toMatchObject({ code: 'KEY_CHECK_MISMATCH' });
  });

  it('rejects a recorded version the broker no longer has', async () => {
    const path = await recordPath();
    const first = version(1);
    await reconcileKeyChecks(path, 'bank', new Map([[1, [first, version(2)]]]), { pin: false });
    await expect(
      reconcileKeyChecks(path, 'bank', new Map([[1, [first]]]), { pin: false }),
    ).rejects.toMatchObject({ code: 'KEY_MISSING' });
  });

  it('rejects another key set', async () => {
    const path = await recordPath();
    await reconcileKeyChecks(path, 'bank', new Map([[1, [version(1)]]]), { pin: false });
    await expect(
      reconcileKeyChecks(path, 'other', new Map([[1, [version(1)]]]), { pin: false }),
    ).rejects.toMatchObject({ code: 'KEY_CHECK_MISMATCH' });
  });
});

describe('key file in RAM', () => {
  it.skipIf(!existsSync('/dev/shm'))('writes a private key file on tmpfs', async () => {
    const dir = await mkdtemp('/dev/shm/kbs-ram-');
    try {
      const key = randomBytes(32);
      const path = await writeRamKeyFile(join(dir, 'keys'), new Map([[1, key]]));
      expect(
        parseKeyFile(await readFile(path, 'utf8'), path)
          .get(1)
          ?.equals(key),
      ).toBe(true);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a directory on a disk file system', async () => {
    const dir = await mkdtemp(join(process.cwd(), '.kbs-disk-'));
    try {
      await expect(requireRamDirectory(dir)).rejects.toMatchObject({ code: 'KEY_DIR_NOT_RAM' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
