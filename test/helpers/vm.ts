import { expect } from 'vitest';
import { findExecutable } from '../../src/mariadb/binaries.js';
import { VmError } from '../../src/vm/errors.js';

const VM_TOOLS = [
  'qemu-system-x86_64',
  'qemu-img',
  'debootstrap',
  'mke2fs',
  'genisoimage',
  'chroot',
];

/**
 * True when the end-to-end VM tests can run: the tools are installed and the tests run as root
 * (debootstrap and chroot need it). With MARIADB_TDX_REQUIRE_INTEGRATION set, a missing tool
 * fails instead of skipping.
 */
export async function vmTestsAvailable(): Promise<boolean> {
  const missing: string[] = [];
  for (const tool of VM_TOOLS) if ((await findExecutable(tool)) === undefined) missing.push(tool);
  const root = process.getuid?.() === 0;
  if ((missing.length > 0 || !root) && process.env.MARIADB_TDX_REQUIRE_INTEGRATION) {
    throw new Error(
      `the VM tests need ${missing.join(', ') || 'root'}; run scripts/setup.sh as root`,
    );
  }
  return missing.length === 0 && root;
}

/** Wall-clock seconds since `start`, for the timings a test reports. */
export function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

/** Awaits a promise that must reject with a VmError of `code`, and returns that error. */
export async function expectVmError(promise: Promise<unknown>, code: string): Promise<VmError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(VmError);
  expect((error as VmError).code).toBe(code);
  return error as VmError;
}
