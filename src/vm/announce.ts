import { createHash } from 'node:crypto';

/**
 * Lines a guest writes to its serial console so that the host can follow provisioning without
 * a network path: progress, the guest's own check, the public CA certificate of its MariaDB,
 * and the final result. Each line starts with this prefix. Payloads that could contain line
 * breaks are base64, and the certificate carries its SHA-256, so a garbled line is ignored.
 */
export const ANNOUNCE_PREFIX = 'mariadb-tdx-guest:';

export type GuestAnnouncement =
  | { readonly type: 'stage'; readonly name: string }
  | { readonly type: 'guest-check'; readonly report: unknown }
  | { readonly type: 'ca'; readonly pem: string }
  | { readonly type: 'ready'; readonly port: number; readonly version: string }
  | { readonly type: 'failed'; readonly message: string };

/** Formats one announcement as a console line, without the trailing newline. */
export function formatAnnouncement(announcement: GuestAnnouncement): string {
  switch (announcement.type) {
    case 'stage':
      return `${ANNOUNCE_PREFIX} stage ${announcement.name}`;
    case 'guest-check':
      return `${ANNOUNCE_PREFIX} guest-check ${base64(JSON.stringify(announcement.report))}`;
    case 'ca':
      return `${ANNOUNCE_PREFIX} ca sha256=${sha256(announcement.pem)} ${base64(announcement.pem)}`;
    case 'ready':
      return `${ANNOUNCE_PREFIX} ready port=${announcement.port} version=${announcement.version}`;
    case 'failed':
      return `${ANNOUNCE_PREFIX} failed ${announcement.message.replace(/\s+/g, ' ').trim()}`;
  }
}

/** Parses every well-formed announcement in console output, in order. */
export function parseAnnouncements(consoleText: string): GuestAnnouncement[] {
  const announcements: GuestAnnouncement[] = [];
  for (const rawLine of consoleText.split(/\r?\n|\r/)) {
    const start = rawLine.indexOf(ANNOUNCE_PREFIX);
    if (start < 0) continue;
    const parsed = parseLine(rawLine.slice(start + ANNOUNCE_PREFIX.length).trim());
    if (parsed) announcements.push(parsed);
  }
  return announcements;
}

function parseLine(line: string): GuestAnnouncement | undefined {
  const [type, ...rest] = line.split(' ');
  const payload = rest.join(' ');
  switch (type) {
    case 'stage':
      return payload ? { type: 'stage', name: payload } : undefined;
    case 'guest-check':
      return parseJson(payload);
    case 'ca':
      return parseCa(rest);
    case 'ready':
      return parseReady(rest);
    case 'failed':
      return { type: 'failed', message: payload };
    default:
      return undefined;
  }
}

function parseJson(payload: string): GuestAnnouncement | undefined {
  try {
    return {
      type: 'guest-check',
      report: JSON.parse(Buffer.from(payload, 'base64').toString('utf8')),
    };
  } catch {
    return undefined;
  }
}

function parseCa(fields: string[]): GuestAnnouncement | undefined {
  const digest = /^sha256=([0-9a-f]{64})$/.exec(fields[0] ?? '')?.[1];
  const pem = Buffer.from(fields[1] ?? '', 'base64').toString('utf8');
  if (!digest || sha256(pem) !== digest || !pem.includes('BEGIN CERTIFICATE')) return undefined;
  return { type: 'ca', pem };
}

function parseReady(fields: string[]): GuestAnnouncement | undefined {
  const values = Object.fromEntries(fields.map((field) => field.split('=', 2) as [string, string]));
  const port = Number(values.port);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  return { type: 'ready', port, version: values.version ?? 'unknown' };
}

function base64(text: string) {
  return Buffer.from(text, 'utf8').toString('base64');
}

function sha256(text: string) {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
