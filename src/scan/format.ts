/** Formats a byte count with binary units, such as `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Formats an address as lower-case hexadecimal with a 0x prefix. */
export function formatAddress(address: bigint): string {
  return `0x${address.toString(16)}`;
}

/** Formats a count with its noun in singular or plural, such as `1 value` or `2 values`. */
export function formatCount(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}
