import { CollateralError } from '../errors.js';

/** Fetch function with the standard signature; tests and callers may inject their own. */
export type FetchFunction = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * Largest response body accepted for one collateral document. TCB Info, QE identities and CRLs
 * are kilobytes (a TDX TCB Info is about 10 KB); 4 MiB leaves room for a CRL with many entries
 * and still stops a misbehaving service before it exhausts memory.
 */
export const MAX_COLLATERAL_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Time allowed for one request, from sending it to the last byte of the body. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

/** Limits of one download. */
export interface HttpLimits {
  readonly fetch?: FetchFunction | undefined;
  /** Milliseconds for headers and body together; default DEFAULT_FETCH_TIMEOUT_MS. */
  readonly timeoutMs?: number | undefined;
  /** Largest body in bytes; default MAX_COLLATERAL_RESPONSE_BYTES. */
  readonly maxBytes?: number | undefined;
}

/** A downloaded document. */
export interface Fetched {
  readonly url: string;
  readonly body: Uint8Array;
  readonly headers: Headers;
}

const CHECK_SERVICE_HINT = 'check the --pccs URL and that the service is reachable';

/**
 * Downloads one document with a time limit that covers the body as well as the headers, and a
 * size limit enforced while the body streams in. Every failure is COLLATERAL_FETCH_FAILED naming
 * the URL and, for a limit, the limit.
 */
export async function getDocument(url: string, what: string, limits: HttpLimits) {
  const fetchFunction = limits.fetch ?? globalThis.fetch;
  const timeoutMs = limits.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = limits.maxBytes ?? MAX_COLLATERAL_RESPONSE_BYTES;
  const failed = (error: unknown) => requestFailed(url, what, error, timeoutMs);

  let response: Response;
  try {
    response = await fetchFunction(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw failed(error);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new CollateralError(
      'COLLATERAL_FETCH_FAILED',
      `${url} answered HTTP ${response.status} for ${what}`,
      {
        source: url,
        hint:
          response.status === 404
            ? 'the service has no such collateral; check the FMSPC and URL'
            : CHECK_SERVICE_HINT,
      },
    );
  }

  let body: Uint8Array;
  try {
    body = await readCapped(response, maxBytes, url, what);
  } catch (error) {
    if (error instanceof CollateralError) throw error;
    throw failed(error);
  }
  return { url, body, headers: response.headers } satisfies Fetched;
}

async function readCapped(response: Response, maxBytes: number, url: string, what: string) {
  const tooLarge = () =>
    new CollateralError(
      'COLLATERAL_FETCH_FAILED',
      `${url} sent more than ${maxBytes} bytes for ${what}, the limit for one collateral document`,
      { source: url, hint: 'collateral documents are kilobytes; check the --pccs URL' },
    );
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array(0);

  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function requestFailed(url: string, what: string, error: unknown, timeoutMs: number) {
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  const reason = timedOut
    ? `no complete reply within the ${timeoutMs / 1000} s timeout`
    : describeNetworkError(error, url);
  return new CollateralError(
    'COLLATERAL_FETCH_FAILED',
    `fetching ${what} from ${url} failed: ${reason}`,
    {
      source: url,
      cause: error,
      hint: timedOut
        ? 'the service is slow or stalled; raise the timeout (--timeout SECONDS) or try later'
        : CHECK_SERVICE_HINT,
    },
  );
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the service',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed temporarily',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'the service closed the connection',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/**
 * Explains a failed fetch from the system error behind it: undici reports every network
 * failure as "fetch failed" and keeps the reason in `cause`.
 */
export function describeNetworkError(error: unknown, url: string): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];

  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const { host } = new URL(url);
  if (code && code in NETWORK_ERRORS) return `${NETWORK_ERRORS[code]} (${host}, ${code})`;
  if (code && /CERT|SSL|TLS|SELF_SIGNED|ALTNAME/.test(code)) {
    return `the TLS certificate of ${host} was not accepted: ${(cause as Error).message}`;
  }
  return cause instanceof Error ? cause.message : String(cause);
}
