import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { generateTlsMaterial } from '../../mariadb/tls.js';
import { AgentError } from '../errors.js';
import type { ReleasedKeys } from './obtain.js';

/** KV v2 mount that the endpoint serves; MariaDB's vault_url ends in /v1/<mount>. */
export const VAULT_MOUNT = 'mariadb';

/** Options of {@link startVaultEndpoint}. */
export interface VaultEndpointOptions {
  readonly keys: ReleasedKeys;
  /** Token that requests must carry in X-Vault-Token; made per boot and never stored. */
  readonly token: string;
  /** Loopback address; default 127.0.0.1. */
  readonly host?: string | undefined;
  /** Port; default 0 (a free port). */
  readonly port?: number | undefined;
  readonly logger?: Logger | undefined;
}

/** A running Vault-compatible endpoint. */
export interface VaultEndpoint {
  /** Value for hashicorp_key_management_vault_url. */
  readonly url: string;
  /** PEM of the per-boot CA, for hashicorp_key_management_vault_ca. */
  readonly caCert: string;
  readonly port: number;
  /** Replaces the served keys, for example after a rotation. */
  readonly updateKeys: (keys: ReleasedKeys) => void;
  readonly close: () => Promise<void>;
}

/** Generates a per-boot token for the endpoint. */
export function generateVaultToken(): string {
  return `mtdx.${randomBytes(32).toString('base64url')}`;
}

/**
 * Serves released keys to MariaDB's hashicorp_key_management plugin on loopback, speaking the
 * part of the Vault KV v2 HTTP API that the plugin uses (MariaDB 10.11):
 *
 * - `GET /v1/sys/mounts/<mount>/tune` returns `options.version` "2";
 * - `GET /v1/<mount>/data/<key id>[?version=n]` returns the key in hex as `data.data.data` and
 *   its version as `data.metadata.version` (latest version without `?version`).
 *
 * TLS uses a CA made for this boot. Requests without the token get 403 and unknown keys 404, as
 * Vault returns them. Error bodies carry no key material, because the plugin logs them.
 */
export async function startVaultEndpoint(options: VaultEndpointOptions): Promise<VaultEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const tls = await generateTlsMaterial({
    caName: 'mariadb-tdx agent per-boot CA',
    serverDnsNames: ['localhost'],
    serverIpAddresses: [host],
  });
  const tokenDigest = digest(options.token);
  let keys = options.keys;

  const server = createServer({ cert: tls.serverCert, key: tls.serverKey, minVersion: 'TLSv1.2' });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const started = performance.now();
    const route = answer(request, response, tokenDigest, keys);
    options.logger?.debug(
      {
        method: request.method,
        route,
        status: response.statusCode,
        ms: performance.now() - started,
      },
      'vault request',
    );
  });

  const port = await listen(server, host, options.port ?? 0);
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}/v1/${VAULT_MOUNT}`,
    caCert: tls.caCert,
    port,
    updateKeys: (next) => {
      keys = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  tokenDigest: Buffer,
  keys: ReleasedKeys,
): string {
  const url = new URL(request.url ?? '/', 'https://localhost');
  if (request.method !== 'GET') return reply(response, 405, { errors: [] }, 'other');

  const presented = request.headers['x-vault-token'];
  const authorized =
    typeof presented === 'string' &&
    presented.length <= 256 &&
    timingSafeEqual(digest(presented), tokenDigest);
  if (!authorized) return reply(response, 403, { errors: ['permission denied'] }, 'unauthorized');

  if (url.pathname === `/v1/sys/mounts/${VAULT_MOUNT}/tune`) {
    const tune = { options: { version: '2' }, default_lease_ttl: 0, max_lease_ttl: 0 };
    return reply(response, 200, tune, 'tune');
  }

  const match = new RegExp(`^/v1/${VAULT_MOUNT}/data/([1-9]\\d{0,9})$`).exec(url.pathname);
  if (!match) return reply(response, 404, { errors: [] }, 'unknown');

  const versions = keys.get(Number(match[1]));
  const requested = url.searchParams.get('version');
  const entry =
    requested === null || requested === '0'
      ? versions?.at(-1)
      : versions?.find((version) => String(version.version) === requested);
  if (!entry) return reply(response, 404, { errors: [] }, 'data');

  const body = {
    data: {
      data: { data: entry.key.toString('hex') },
      metadata: { version: entry.version, destroyed: false, deletion_time: '' },
    },
  };
  return reply(response, 200, body, 'data');
}

function reply(response: ServerResponse, status: number, body: unknown, route: string): string {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
  return route;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new AgentError('VAULT_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${error.code}`, {
          hint: 'choose another port with --vault-listen, or port 0 for a free one',
          cause: error,
        }),
      ),
    );
    server.listen({ host, port, exclusive: true }, () =>
      resolve((server.address() as AddressInfo).port),
    );
  });
}
