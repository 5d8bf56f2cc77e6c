import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';

/** Status, body text and cookies of one HTTPS reply. */
export interface HttpsReply {
  readonly status: number;
  readonly text: string;
  readonly setCookie: string[];
  readonly headers: IncomingHttpHeaders;
}

/**
 * Sends one HTTPS request on a fresh connection, trusting only `ca`, and never throws on an
 * error status.
 */
export function httpsRequest(
  url: URL,
  options: { ca: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method: options.method ?? 'GET',
      ca: options.ca,
      agent: false,
      headers: options.headers ?? {},
    });
    outgoing.on('error', reject);
    outgoing.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () =>
        resolve({
          status: incoming.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          setCookie: incoming.headers['set-cookie'] ?? [],
          headers: incoming.headers,
        }),
      );
    });
    outgoing.end(options.body);
  });
}
