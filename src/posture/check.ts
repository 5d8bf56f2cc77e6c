import { DatabaseError } from '../errors.js';
import { connect, type Connection, type ConnectionOptions } from '../mariadb/connection.js';
import { stateLayout, DEFAULT_STATE_DIR } from '../mariadb/layout.js';
import { localConnectionOptions } from '../local/client.js';
import { readManifest } from '../local/manifest.js';
import { formatEndpoint } from '../util/endpoint.js';
import { PostureError } from './errors.js';
import { runPostureChecks, type RunPostureOptions } from './runner.js';
import type { PostureReport } from './types.js';

/** Options of {@link checkPosture}. */
export interface CheckPostureOptions extends Omit<RunPostureOptions, 'target' | 'verified'> {
  /** The server to check; `insecure` marks the report unverified. */
  readonly connection: ConnectionOptions;
}

/**
 * Connects to a server over TLS, verifying its certificate unless `insecure` is set, runs the
 * posture catalogue and closes the connection. Throws DatabaseError when the server cannot be
 * reached, TLS verification fails or the login is refused, and PostureError when the service at
 * the address does not speak the MariaDB protocol.
 */
export async function checkPosture(options: CheckPostureOptions): Promise<PostureReport> {
  const { connection: connectionOptions, ...runOptions } = options;
  const connection = await connectToServer(connectionOptions);
  try {
    return await runPostureChecks(connection, {
      ...runOptions,
      target: {
        host: connectionOptions.host,
        port: connectionOptions.port,
        user: connectionOptions.user,
      },
      verified: connectionOptions.insecure !== true,
    });
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/** Connection options for the admin account of the local server that `up` started in `dir`. */
export async function localCheckConnection(dir = DEFAULT_STATE_DIR): Promise<ConnectionOptions> {
  const layout = stateLayout(dir);
  return localConnectionOptions(layout, await readManifest(layout));
}

async function connectToServer(options: ConnectionOptions): Promise<Connection> {
  try {
    return await connect(options);
  } catch (error) {
    throw protocolError(error, formatEndpoint(options.host, options.port)) ?? error;
  }
}

/**
 * Recognises the connector errors of a peer that is not a MariaDB server. Either its first bytes
 * do not parse as a MariaDB greeting (an HTTP or SSH banner reads as an oversized packet), or it
 * closes the connection before the handshake ends.
 */
function protocolError(error: unknown, where: string): PostureError | undefined {
  if (!(error instanceof DatabaseError) || error.code !== 'QUERY_FAILED') return undefined;
  const connectorCode = (error.cause as { code?: unknown } | undefined)?.code;
  if (connectorCode === 'ER_UNEXPECTED_PACKET') {
    return new PostureError(
      'NOT_MARIADB',
      `the service at ${where} did not answer like a MariaDB server`,
      {
        hint: 'check the host and port: they must name the TCP port of a MariaDB server (3306 by default)',
        cause: error,
      },
    );
  }
  if (connectorCode === 'ER_SOCKET_UNEXPECTED_CLOSE') {
    return new PostureError(
      'HANDSHAKE_CLOSED',
      `the service at ${where} closed the connection before the MariaDB handshake ended`,
      {
        hint: 'check that the host and port name a MariaDB server; if they do, its error log says why it closed the connection',
        cause: error,
      },
    );
  }
  return undefined;
}
