import { connect, type ConnectionOptions } from '../mariadb/connection.js';
import { stateLayout, DEFAULT_STATE_DIR } from '../mariadb/layout.js';
import { localConnectionOptions } from '../local/client.js';
import { readManifest } from '../local/manifest.js';
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
 * reached, TLS verification fails or the login is refused.
 */
export async function checkPosture(options: CheckPostureOptions): Promise<PostureReport> {
  const { connection: connectionOptions, ...runOptions } = options;
  const connection = await connect(connectionOptions);
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
