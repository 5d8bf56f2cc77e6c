import { readFile, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

/**
 * Reads the public SSH keys to authorize in the guest: the given file, or every
 * `~/.ssh/id_*.pub`. No key is not an error; the guest is then reachable only through MariaDB.
 */
export async function readSshKeys(path: string | undefined): Promise<string[]> {
  if (path !== undefined) {
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      throw new ConfigError('FILE_UNREADABLE', `cannot read SSH public key ${path}`, {
        cause: error,
      });
    });
    if (!/^(ssh-|ecdsa-|sk-)/.test(text.trim()) || text.includes('PRIVATE KEY')) {
      throw new ConfigError('INVALID_OPTION', `${path} is not an SSH public key`, {
        hint: 'pass the .pub file, never the private key',
      });
    }
    return [text.trim()];
  }

  const dir = join(homedir(), '.ssh');
  const names = await readdir(dir).catch(() => [] as string[]);
  const keys: string[] = [];
  for (const name of names.filter((n) => /^id_.*\.pub$/.test(n)).sort()) {
    keys.push((await readFile(join(dir, name), 'utf8')).trim());
  }
  return keys;
}
