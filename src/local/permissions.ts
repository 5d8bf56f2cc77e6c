import { lstat } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { isErrno, makeDirectories } from '../util/fs.js';

/** Throws UNSAFE_PERMISSIONS when a secret file can be read by anyone but its owner. */
export async function ensurePrivateFile(path: string, description: string) {
  let mode: number;
  try {
    mode = (await lstat(path)).mode;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new ConfigError('FILE_NOT_FOUND', `${description} ${path} does not exist`, {
        hint: 'the state directory is incomplete; restore it from a backup',
        cause: error,
      });
    }
    throw error;
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(
      'UNSAFE_PERMISSIONS',
      `${description} ${path} has mode ${(mode & 0o777).toString(8)}; it must be private to its owner`,
      { hint: `chmod 600 ${path}` },
    );
  }
}

/**
 * Creates a directory private to this user, or checks an existing one: it must be a real
 * directory (not a symbolic link), owned by this user, with mode 0700. Another local user could
 * otherwise prepare a path such as /dev/shm/NAME in advance and read or redirect what is
 * written there.
 */
export async function ensurePrivateDirectory(path: string) {
  await makeDirectories(path, 0o700);
  const info = await lstat(path);
  const uid = process.getuid?.();
  const problem = privateDirectoryProblem(path, info, uid);
  if (problem) {
    throw new ConfigError('UNSAFE_PERMISSIONS', `${path} ${problem.text}`, { hint: problem.hint });
  }
}

function privateDirectoryProblem(
  path: string,
  info: { isDirectory(): boolean; uid: number; mode: number },
  uid: number | undefined,
): { text: string; hint: string } | undefined {
  if (!info.isDirectory()) {
    return {
      text: 'is not a directory (a symbolic link or a file)',
      hint: `move ${path} away or choose another path; mariadb-tdx creates a private directory there`,
    };
  }
  if (uid !== undefined && info.uid !== uid) {
    // Someone else may have prepared it to read what is written there; its content is suspect.
    return {
      text: `belongs to uid ${info.uid}, not to uid ${uid}`,
      hint: `check who created ${path}; if it is yours, chown ${uid} ${path}, otherwise move it away`,
    };
  }
  if ((info.mode & 0o077) !== 0) {
    // Only the mode is wrong: the directory and its data stay.
    return {
      text: `has mode ${(info.mode & 0o777).toString(8)} instead of 700`,
      hint: `chmod 700 ${path}`,
    };
  }
  return undefined;
}
