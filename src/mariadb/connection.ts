import mariadb from 'mariadb';
import type { Connection as MariadbConnection, ConnectionConfig } from 'mariadb';
import { DatabaseError } from '../errors.js';
import { formatEndpoint } from '../util/endpoint.js';

/** How to reach and authenticate to a MariaDB server. */
export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** PEM CA that must have issued the server certificate. Unset uses Node's default CAs. */
  readonly ca?: string | undefined;
  /** PEM client certificate and key, for accounts that REQUIRE X509. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** Skips server certificate verification; the caller must mark its results as unverified. */
  readonly insecure?: boolean | undefined;
  /** Connects without TLS at all; only for tests that show plain TCP is rejected. */
  readonly plainText?: boolean | undefined;
  readonly database?: string | undefined;
  readonly connectTimeoutMs?: number | undefined;
}

/** An open connection from the official connector. */
export type Connection = MariadbConnection;

/**
 * Opens a connection with TLS and server certificate verification on by default.
 * Parameter logging is off because the connector otherwise copies SQL parameters into its logs
 * and into error messages.
 */
export async function connect(options: ConnectionOptions): Promise<Connection> {
  const config: ConnectionConfig = {
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    logParam: false,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    bigIntAsNumber: false,
    decimalAsNumber: false,
    checkDuplicate: false,
    // The connector defaults to utf8mb4_unicode_ci; string literals in that collation cannot be
    // compared with system views such as mysql.user, which use the server's utf8mb4_general_ci.
    collation: 'UTF8MB4_GENERAL_CI',
  };
  if (options.database !== undefined) config.database = options.database;
  if (!options.plainText) {
    config.ssl = {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: !options.insecure,
      minVersion: 'TLSv1.2',
    };
  }

  try {
    return await mariadb.createConnection(config);
  } catch (error) {
    throw toDatabaseError(error, options);
  }
}

// Node.js TLS verification failures (see `tls.TLSSocket.authorizationError`).
const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface ConnectorError {
  code?: string;
  errno?: number;
  sqlMessage?: string | null;
  message?: string;
  cause?: unknown;
}

/** Maps connector and socket errors to DatabaseError codes, branching on codes, not messages. */
export function toDatabaseError(error: unknown, target: { host: string; port: number }) {
  const where = formatEndpoint(target.host, target.port);
  const codes = errorCodes(error);
  const detail = (error as ConnectorError)?.sqlMessage ?? (error as ConnectorError)?.message ?? '';

  if (codes.some((code) => TLS_VERIFY_CODES.has(code))) {
    const code = codes.find((c) => TLS_VERIFY_CODES.has(c));
    return new DatabaseError('TLS_VERIFY_FAILED', `TLS verification of ${where} failed: ${code}`, {
      hint: 'pass the CA that issued the server certificate with --ca, or fix the server name',
      cause: error,
    });
  }
  if (codes.includes('ER_ACCESS_DENIED_ERROR') || codes.includes('ER_ACCOUNT_HAS_BEEN_LOCKED')) {
    return new DatabaseError('ACCESS_DENIED', `access denied at ${where}: ${detail}`, {
      hint: 'check the user name and password',
      cause: error,
    });
  }
  if (codes.includes('ER_SERVER_SSL_DISABLED')) {
    return new DatabaseError('TLS_UNAVAILABLE', `server ${where} does not offer TLS`, {
      hint: 'configure ssl_cert and ssl_key on the server; mariadb-tdx never falls back to plain TCP',
      cause: error,
    });
  }
  if (codes.includes('ECONNREFUSED')) {
    return new DatabaseError('CONNECTION_REFUSED', `nothing accepts connections at ${where}`, {
      hint: 'start the server (mariadb-tdx up) or check --host and --port',
      cause: error,
    });
  }
  if (codes.includes('ER_CONNECTION_TIMEOUT') || codes.includes('ETIMEDOUT')) {
    return new DatabaseError('CONNECTION_TIMEOUT', `connection to ${where} timed out`, {
      hint: 'check that the host is reachable and the port is open',
      cause: error,
    });
  }
  if (codes.some((c) => ['ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(c))) {
    return new DatabaseError('HOST_UNREACHABLE', `cannot reach ${where}`, {
      hint: 'check --host',
      cause: error,
    });
  }
  return new DatabaseError('QUERY_FAILED', `connection to ${where} failed: ${detail}`, {
    cause: error,
  });
}

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const candidate = current as ConnectorError;
    if (typeof candidate.code === 'string') codes.push(candidate.code);
    current = candidate.cause;
  }
  return codes;
}
