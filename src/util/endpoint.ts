import { isIPv6 } from 'node:net';

/**
 * Formats a TCP endpoint for messages: `host:port`, with an IPv6 address in brackets
 * (`[::1]:3306`) as URLs write it, so the port cannot be read as part of the address.
 */
export function formatEndpoint(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
