import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlantedValue } from '../dataset/plant.js';
import { backendFor } from './backends.js';
import type { VmLayout } from './layout.js';
import type { ScannedHit } from './leak-scan.js';
import type { VmRecord } from './registry.js';

// Two addresses per value show the mapping without re-reading hundreds of hits.
const CONFIRM_PER_VALUE = 2;

/**
 * Reads guest-physical memory at each of the first hits of a value through QMP pmemsave, an
 * access path independent of the dump file, and compares the bytes with the encoded value.
 */
export async function confirmAddresses(
  record: VmRecord,
  layout: VmLayout,
  planted: readonly PlantedValue[],
  hits: readonly ScannedHit[],
  dumpDir: string,
) {
  const backend = backendFor(record);
  let checked = 0;
  let confirmed = 0;
  const perValue = new Map<number, number>();
  for (const hit of hits) {
    const expected = encodedBytes(planted[hit.valueIndex]!.value, hit.encoding);
    if (hit.physicalAddress === undefined || expected === undefined) continue;
    if ((perValue.get(hit.valueIndex) ?? 0) >= CONFIRM_PER_VALUE) continue;
    perValue.set(hit.valueIndex, (perValue.get(hit.valueIndex) ?? 0) + 1);

    const file = join(dumpDir, `pmemsave-${checked}.bin`);
    await backend.savePhysicalMemory(record, layout, hit.physicalAddress, expected.length, file);
    checked += 1;
    if ((await readFile(file)).equals(expected)) confirmed += 1;
    await rm(file, { force: true });
  }
  return { checked, confirmed };
}

function encodedBytes(value: string, encoding: string): Buffer | undefined {
  if (encoding === 'utf8') return Buffer.from(value, 'utf8');
  if (encoding === 'utf16le') return Buffer.from(value, 'utf16le');
  return undefined;
}
