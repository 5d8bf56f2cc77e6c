import { mkdir, rm, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { formatKeyFile, type KeyRing } from '../../mariadb/keys.js';
import { isErrno, pathExists, writeFileAtomic } from '../../util/fs.js';
import { AgentError } from '../errors.js';

// statfs(2) f_type values of file systems that live only in memory (linux/magic.h).
const RAM_FILESYSTEMS = new Map<number, string>([
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
]);

// Names of common disk-backed and network file systems, for messages (linux/magic.h).
const OTHER_FILESYSTEMS = new Map<number, string>([
  [0xef53, 'ext2/ext3/ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0xf2f52010, 'f2fs'],
  [0x2fc12fc1, 'zfs'],
  [0x794c7630, 'overlayfs'],
  [0x6969, 'nfs'],
  [0xff534d42, 'cifs'],
  [0x65735546, 'fuse'],
  [0x01021997, '9p'],
  [0x4d44, 'vfat'],
  [0x5346544e, 'ntfs'],
]);

/** Name of a file system type from statfs(2), such as "ext2/ext3/ext4 (0xef53)". */
export function fileSystemName(type: number): string {
  const hex = `0x${type.toString(16)}`;
  const name = RAM_FILESYSTEMS.get(type) ?? OTHER_FILESYSTEMS.get(type);
  return name ? `${name} (${hex})` : `type ${hex}`;
}

/** Name of the key file inside the RAM directory. */
export const RAM_KEY_FILE_NAME = 'keyfile';

/**
 * Returns the file system type of `dir` when it is RAM-backed, and throws KEY_DIR_NOT_RAM
 * otherwise. Inside a TD, tmpfs pages are private guest memory, which TDX encrypts. `probe`
 * is the path whose file system is read, when `dir` does not exist yet.
 */
export async function requireRamDirectory(dir: string, probe = dir): Promise<string> {
  const info = await statfs(probe);
  const type = RAM_FILESYSTEMS.get(Number(info.type));
  if (!type) {
    throw new AgentError(
      'KEY_DIR_NOT_RAM',
      `${dir} is on ${fileSystemName(Number(info.type))}, not on tmpfs or ramfs`,
      {
        hint: 'keys are never written to persistent storage; choose a directory under /dev/shm or /run',
      },
    );
  }
  return type;
}

/**
 * Creates `dir` after checking that its nearest existing ancestor is on tmpfs or ramfs, so a
 * directory meant for keys is never created on a disk. Returns the first directory it created,
 * for {@link removeRamDirectory}, or undefined when `dir` existed.
 */
export async function createRamDirectory(dir: string): Promise<string | undefined> {
  let ancestor = resolve(dir);
  while (!(await pathExists(ancestor))) ancestor = dirname(ancestor);
  await requireRamDirectory(dir, ancestor);

  let created: string | undefined;
  try {
    created = await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (!isErrno(error, 'EEXIST') && !isErrno(error, 'ENOTDIR')) throw error;
    throw new AgentError('KEY_DIR_NOT_RAM', `${dir} is not a directory`, {
      hint: 'pass --ram-dir a directory on tmpfs, such as /dev/shm/mariadb-tdx-agent',
      cause: error,
    });
  }
  await requireRamDirectory(dir);
  return created;
}

/** Removes, with its contents, a directory that {@link createRamDirectory} created. */
export async function removeRamDirectory(created: string | undefined) {
  if (created !== undefined) await rm(created, { recursive: true, force: true });
}

/**
 * Writes a file_key_management key file into a private directory on tmpfs or ramfs and returns
 * its path. Refuses any directory that could reach a disk.
 */
export async function writeRamKeyFile(dir: string, keys: KeyRing): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await requireRamDirectory(dir);
  const path = join(dir, RAM_KEY_FILE_NAME);
  await writeFileAtomic(path, formatKeyFile(keys), 0o600);
  return path;
}

/** Deletes the key file once MariaDB has read it; file_key_management reads it only at start. */
export async function removeRamKeyFile(dir: string) {
  await rm(join(dir, RAM_KEY_FILE_NAME), { force: true });
}
