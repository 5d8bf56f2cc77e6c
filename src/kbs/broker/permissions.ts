import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { isErrno } from '../../util/fs.js';
import type { BrokerLayout } from './config.js';

/**
 * Refuses to serve from a broker directory whose secrets other users can read: the directory
 * itself, the master key, the TLS private keys and the key store, down to each sealed record.
 * The sealed records are encrypted, but their metadata and the master key next to them are not
 * for other users either. The error names the path and the chmod that fixes it.
 */
export async function checkBrokerPermissions(layout: BrokerLayout) {
  await expectPrivate(layout.root, 'broker directory');
  await expectPrivate(layout.masterKey, 'master key');
  await expectPrivate(layout.tlsDir, 'TLS directory');
  await expectPrivate(layout.caKey, 'CA private key');
  await expectPrivate(layout.serverKey, 'server private key');
  await expectPrivateTree(layout.keysDir, 'key store');
}

/** Returns true for a private directory; throws for anything others can reach. */
async function expectPrivate(path: string, description: string, fix?: string): Promise<boolean> {
  let mode: number;
  let directory: boolean;
  try {
    const info = await lstat(path);
    mode = info.mode;
    directory = info.isDirectory();
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
  if ((mode & 0o077) === 0) return directory;

  throw new ConfigError(
    'UNSAFE_PERMISSIONS',
    `${description} ${path} has mode ${(mode & 0o777).toString(8)}; other users can reach it`,
    { hint: `run: ${fix ?? (directory ? `chmod 700 ${path}` : `chmod 600 ${path}`)}` },
  );
}

async function expectPrivateTree(root: string, description: string) {
  const fix = `chmod -R go-rwx ${root}`;
  const visit = async (path: string): Promise<void> => {
    if (!(await expectPrivate(path, description, fix))) return;
    for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(root);
}
