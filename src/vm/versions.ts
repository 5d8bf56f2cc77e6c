/** Compares dotted version numbers (`10.1.0` < `11.6`); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const right = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** First upstream releases with TDX: libvirt `launchSecurity type='tdx'` and QEMU `tdx-guest`. */
export const MIN_LIBVIRT_TDX = '11.6.0';
export const MIN_QEMU_TDX = '10.1.0';

/** Extracts `7.2.22` from `QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)`. */
export function parseQemuVersion(output: string): string | undefined {
  return /QEMU emulator version (\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1];
}
