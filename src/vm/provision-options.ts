import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import type { RemoteAdminAccount } from '../local/remote-admins.js';

/** Parses `--remote-admin USER@HOST` with the hash read from `--remote-admin-hash-file`. */
export async function parseRemoteAdmin(
  account: string | undefined,
  hashFile: string | undefined,
): Promise<RemoteAdminAccount[]> {
  if (account === undefined && hashFile === undefined) return [];
  if (account === undefined || hashFile === undefined) {
    throw new ConfigError(
      'INVALID_OPTION',
      '--remote-admin and --remote-admin-hash-file go together',
      {
        hint: 'pass both, or neither',
      },
    );
  }

  const at = account.lastIndexOf('@');
  if (at <= 0 || at === account.length - 1) {
    throw new ConfigError('INVALID_OPTION', `--remote-admin ${account} is not USER@HOST`);
  }
  let passwordHash: string;
  try {
    passwordHash = (await readFile(hashFile, 'utf8')).trim();
  } catch (error) {
    throw new ConfigError('FILE_UNREADABLE', `cannot read ${hashFile}`, { cause: error });
  }
  return [{ user: account.slice(0, at), host: account.slice(at + 1), passwordHash }];
}
