import { access, constants } from 'node:fs/promises';

/**
 * Paths where distributions install TDX-capable firmware (TDVF): Canonical's TDX stack
 * (`/usr/share/ovmf/OVMF.tdx.fd`, and the PPA's OVMF.fd), Fedora (`OVMF.inteltdx.fd`).
 */
export const TDVF_CANDIDATES = [
  '/usr/share/ovmf/OVMF.tdx.fd',
  '/usr/share/edk2/ovmf/OVMF.inteltdx.fd',
  '/usr/share/qemu/OVMF.fd',
  '/usr/share/ovmf/OVMF.fd',
] as const;

/** Returns the first TDVF candidate that exists and is readable. */
export async function findTdvf(
  candidates: readonly string[] = TDVF_CANDIDATES,
): Promise<string | undefined> {
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.R_OK);
      return candidate;
    } catch {
      // Not installed here.
    }
  }
  return undefined;
}
