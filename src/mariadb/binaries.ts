import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { ServerError } from '../errors.js';

const execFileAsync = promisify(execFile);

/** Programs of a MariaDB server installation that the local server needs. */
export interface MariadbBinaries {
  readonly mariadbd: string;
  readonly installDb: string;
  /** Version string as `mariadbd --version` prints it, for example `10.11.19-MariaDB-0+deb12u1`. */
  readonly version: string;
}

// Debian installs mariadbd in /usr/sbin, which is not on a normal user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/mysql/bin'];

/** Finds an executable on PATH or in the usual MariaDB directories. */
export async function findExecutable(name: string): Promise<string | undefined> {
  const override = process.env.MARIADB_TDX_BINDIR;
  const dirs = [
    ...(override ? [override] : []),
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    ...EXTRA_DIRS,
  ];

  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  return undefined;
}

/**
 * Locates mariadbd and mariadb-install-db and reads the server version. `MARIADB_TDX_BINDIR`
 * names a directory searched first.
 */
export async function locateMariadb(): Promise<MariadbBinaries> {
  const mariadbd = await findExecutable('mariadbd');
  const installDb = await findExecutable('mariadb-install-db');
  if (!mariadbd || !installDb) {
    const missing = !mariadbd ? 'mariadbd' : 'mariadb-install-db';
    throw new ServerError(
      'MARIADBD_NOT_FOUND',
      `${missing} was not found on PATH or in /usr/sbin`,
      {
        hint: 'install the MariaDB server: apt-get install mariadb-server mariadb-client',
      },
    );
  }

  const { stdout } = await execFileAsync(mariadbd, ['--version']);
  const version = /Ver\s+(\S+)/.exec(stdout)?.[1] ?? stdout.trim();
  return { mariadbd, installDb, version };
}
