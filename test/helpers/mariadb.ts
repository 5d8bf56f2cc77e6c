import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../src/mariadb/binaries.js';
import { down } from '../../src/local/down.js';
import { up, type UpOptions, type LocalServerInfo } from '../../src/local/up.js';

/**
 * True when mariadbd is installed. When MARIADB_TDX_REQUIRE_INTEGRATION is set (as .ci/run does),
 * a missing server is an error instead of a reason to skip, so CI never passes by skipping.
 */
export async function mariadbAvailable(): Promise<boolean> {
  const found =
    (await findExecutable('mariadbd')) !== undefined &&
    (await findExecutable('mariadb-install-db')) !== undefined;
  if (!found && process.env.MARIADB_TDX_REQUIRE_INTEGRATION) {
    throw new Error(
      'mariadbd is not installed but MARIADB_TDX_REQUIRE_INTEGRATION is set; ' +
        'install it with scripts/setup.sh',
    );
  }
  return found;
}

/** Creates an empty private directory for one test's state. */
export async function makeTempDir(prefix = 'mariadb-tdx-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A server started by a test, with its state directory. */
export interface TestServer {
  readonly dir: string;
  readonly info: LocalServerInfo;
  /** Stops the server and deletes its state directory. */
  readonly dispose: () => Promise<void>;
}

/** Starts a local server in a fresh temporary state directory. */
export async function startTestServer(options: Omit<UpOptions, 'dir'> = {}): Promise<TestServer> {
  const parent = await makeTempDir();
  const dir = join(parent, 'state');
  const info = await up({ ...options, dir });
  return {
    dir,
    info,
    dispose: async () => {
      await down({ dir, purge: true, yes: true }).catch(() => undefined);
      await rm(parent, { recursive: true, force: true });
    },
  };
}
