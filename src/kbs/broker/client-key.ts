import { isIPv4, isIPv6 } from 'node:net';

/** Key of requests made in process, without a TCP peer (tests). */
export const IN_PROCESS_CLIENT = 'in-process';

/**
 * Groups client addresses for per-client limits: an IPv4 address is one client, and an IPv6
 * address counts by its /64 prefix, because one host is usually given a whole /64 and could
 * otherwise present a fresh address for every request.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return IN_PROCESS_CLIENT;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** Splits an IPv6 address into its eight 16-bit groups, as lower-case hex without leading zeros. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(missing).fill('0'), ...right];
  return groups.map((group) => Number.parseInt(group || '0', 16).toString(16));
}
