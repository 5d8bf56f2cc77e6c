import { access, constants, readFile } from 'node:fs/promises';

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

// OVMF ends with a table of GUIDed entries that QEMU reads backwards from a footer 48 bytes
// before the end of the image. Each entry is its data, a 16-bit length (data, length and GUID)
// and the GUID, in the little-endian byte order of EFI_GUID. The TDX metadata entry carries a
// 32-bit distance from the end of the image to the TDVF descriptor, which starts with "TDVF"
// (edk2 OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm and X64/IntelTdxMetadata.asm).
const TABLE_FOOTER_GUID = guidBytes('96b582de-1fb2-45f7-baea-a366c55a082d');
const TDX_METADATA_OFFSET_GUID = guidBytes('e47a6535-984a-4798-865e-4685a7bf8ec2');
const FOOTER_FROM_END = 48;
const RESET_VECTOR_BYTES = 32;
const GUID_BYTES = 16;
const ENTRY_HEADER_BYTES = 2 + GUID_BYTES;
const TDVF_SIGNATURE = 'TDVF';
// Firmware images are a few MiB, so a file far larger is not one and is not read whole.
const MAX_FIRMWARE_BYTES = 64 * 1024 * 1024;

/** Returns true when a firmware image carries TDVF metadata, which QEMU needs to launch a TD. */
export async function isTdvfImage(path: string): Promise<boolean> {
  let image: Buffer;
  try {
    image = await readFile(path);
  } catch {
    return false;
  }
  if (image.length > MAX_FIRMWARE_BYTES) return false;
  const offset = tdxMetadataDistance(image);
  if (offset === undefined || offset > image.length || offset < TDVF_SIGNATURE.length) return false;
  const start = image.length - offset;
  return image.subarray(start, start + TDVF_SIGNATURE.length).toString('latin1') === TDVF_SIGNATURE;
}

/** Walks OVMF's GUIDed table and returns the TDX metadata entry's value, if it has one. */
function tdxMetadataDistance(image: Buffer): number | undefined {
  const footerStart = image.length - FOOTER_FROM_END;
  if (footerStart < 2) return undefined;
  const footer = image.subarray(footerStart, footerStart + GUID_BYTES);
  if (!footer.equals(TABLE_FOOTER_GUID)) return undefined;

  const tableEnd = image.length - RESET_VECTOR_BYTES;
  const tableStart = tableEnd - image.readUInt16LE(footerStart - 2);
  let cursor = footerStart - 2;
  while (cursor - ENTRY_HEADER_BYTES >= tableStart && cursor - ENTRY_HEADER_BYTES >= 0) {
    const guid = image.subarray(cursor - GUID_BYTES, cursor);
    const length = image.readUInt16LE(cursor - ENTRY_HEADER_BYTES);
    if (length < ENTRY_HEADER_BYTES || cursor - length < tableStart) return undefined;
    if (guid.equals(TDX_METADATA_OFFSET_GUID) && length >= ENTRY_HEADER_BYTES + 4) {
      return image.readUInt32LE(cursor - length);
    }
    cursor -= length;
  }
  return undefined;
}

/** Encodes a GUID string in EFI_GUID byte order: the first three fields little-endian. */
export function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  const bytes = Buffer.from(hex, 'hex');
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}
