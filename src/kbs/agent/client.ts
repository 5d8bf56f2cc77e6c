import { request } from 'node:https';
import type { FlattenedJWE } from 'jose';
import { AgentError } from '../errors.js';
import { parseKbsUrl } from '../url.js';
import {
  KBS_PREFIX,
  KBS_PROTOCOL_VERSION,
  RUNTIME_DATA_HASH,
  SESSION_COOKIE,
  TEE_TDX,
  type Attestation,
  type AttestationResult,
  type Challenge,
} from '../protocol.js';

/** Connection settings of a broker. */
export interface KbsConnection {
  /** Base URL, such as https://kbs.example:8443; the protocol routes are under /kbs/v0. */
  readonly url: string;
  /** PEM of the CA that issued the broker's certificate; the system CAs are not trusted. */
  readonly caCert: string;
  readonly timeoutMs?: number | undefined;
}

interface HttpReply {
  readonly status: number;
  readonly setCookie: readonly string[];
  readonly body: unknown;
}

// Replies are small JSON documents; a JWE of a key with many versions stays far below this.
const MAX_REPLY_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A client of one broker session: `auth`, then `attest`, then resource requests, with the
 * session cookie carried between them. The broker's certificate must chain to `caCert`.
 */
export class KbsClient {
  private cookie: string | undefined;
  private readonly base: URL;

  constructor(private readonly connection: KbsConnection) {
    this.base = parseKbsUrl(connection.url);
  }

  /** Opens a session and returns the broker's nonce. */
  async auth(): Promise<Challenge> {
    const reply = await this.send('POST', 'auth', {
      version: KBS_PROTOCOL_VERSION,
      tee: TEE_TDX,
      'extra-params': { 'supported-hash-algorithms': [RUNTIME_DATA_HASH] },
    });
    const cookie = reply.setCookie
      .map((line) => line.split(';')[0]!.trim())
      .find((pair) => pair.startsWith(`${SESSION_COOKIE}=`));
    const challenge = reply.body as Partial<Challenge>;
    if (!cookie || typeof challenge.nonce !== 'string') {
      throw new AgentError(
        'KBS_RESPONSE_INVALID',
        `${this.base.origin} answered auth without a session cookie or nonce`,
      );
    }
    this.cookie = cookie;
    return challenge as Challenge;
  }

  /** Sends evidence; returns the attestation token. */
  async attest(attestation: Attestation): Promise<string> {
    const reply = await this.send('POST', 'attest', attestation);
    const token = (reply.body as Partial<AttestationResult>).token;
    if (typeof token !== 'string') {
      throw new AgentError(
        'KBS_RESPONSE_INVALID',
        `${this.base.origin} answered attest without a token`,
      );
    }
    return token;
  }

  /** Fetches a resource `<repository>/<type>/<tag>` as a flattened JWE. */
  async resource(path: string): Promise<FlattenedJWE> {
    const reply = await this.send('GET', `resource/${path}`);
    const jwe = reply.body as Partial<FlattenedJWE>;
    if (typeof jwe.ciphertext !== 'string' || typeof jwe.protected !== 'string') {
      throw new AgentError('KBS_RESPONSE_INVALID', `${this.base.origin} did not return a JWE`);
    }
    return jwe as FlattenedJWE;
  }

  private async send(method: 'GET' | 'POST', route: string, body?: unknown): Promise<HttpReply> {
    const url = new URL(
      `${this.base.pathname.replace(/\/$/, '')}${KBS_PREFIX}/${route}`,
      this.base,
    );
    const reply = await httpsJson(url, method, body, this.cookie, this.connection);
    if (reply.status < 200 || reply.status > 299) throw rejection(url, reply);
    return reply;
  }
}

function rejection(url: URL, reply: HttpReply): AgentError {
  const problem = (reply.body ?? {}) as { code?: unknown; detail?: unknown; reasons?: unknown };
  const code = typeof problem.code === 'string' ? problem.code : `HTTP_${reply.status}`;
  const reasons = Array.isArray(problem.reasons) ? problem.reasons.map(String) : [];
  const detail = typeof problem.detail === 'string' ? problem.detail.slice(0, 500) : '';
  return new AgentError(
    'KBS_REJECTED',
    `${url.origin}${url.pathname} refused the request (${reply.status} ${code}${reasons.length ? `: ${reasons.join(', ')}` : ''})${detail ? `: ${detail}` : ''}`,
    { reason: code },
  );
}

function httpsJson(
  url: URL,
  method: 'GET' | 'POST',
  body: unknown,
  cookie: string | undefined,
  connection: KbsConnection,
): Promise<HttpReply> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (cookie) headers.cookie = cookie;

  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method,
      headers,
      ca: connection.caCert,
      minVersion: 'TLSv1.2',
      timeout: connection.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    const fail = (error: AgentError) => {
      reject(error);
      outgoing.destroy();
    };
    outgoing.on('timeout', () =>
      fail(
        new AgentError(
          'KBS_UNREACHABLE',
          `${url.origin} did not answer within ${connection.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`,
          {
            hint: 'check the broker and the network path to it',
          },
        ),
      ),
    );
    outgoing.on('error', (error) => reject(transportError(url, error)));
    outgoing.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_REPLY_BYTES) chunks.push(chunk);
        else
          fail(
            new AgentError(
              'KBS_RESPONSE_INVALID',
              `${url.origin} sent more than ${MAX_REPLY_BYTES} bytes`,
            ),
          );
      });
      incoming.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          parsed = undefined;
        }
        const setCookie = incoming.headers['set-cookie'] ?? [];
        resolve({ status: incoming.statusCode ?? 0, setCookie, body: parsed });
      });
    });
    outgoing.end(payload);
  });
}

function transportError(url: URL, error: Error): AgentError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
    return new AgentError('KBS_TLS_FAILED', `TLS to ${url.origin} failed: ${code}`, {
      hint: 'pass --kbs-ca with the broker CA (tls/ca.pem of its directory) and a URL whose host the certificate names',
      cause: error,
    });
  }
  return new AgentError('KBS_UNREACHABLE', `cannot reach ${url.origin}: ${code || error.message}`, {
    hint: 'check that kbs serve runs and --kbs names its address',
    cause: error,
  });
}
