import { copyFile, mkdir, readdir, readlink, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isErrno } from '../util/fs.js';

/** A file copied as evidence, with where it came from. */
export interface CapturedFile {
  readonly copy: string;
  /** Path of the original; for a deleted file, the path it had before it was unlinked. */
  readonly origin: string;
  readonly deleted: boolean;
  readonly bytes: number;
}

/**
 * Copies every file of a process that is deleted but still open, or that lies under one of
 * `directories`, by reading it through /proc/PID/fd. Temporary files of MariaDB are unlinked
 * right after creation, so this is the only way to see them while they exist.
 */
export async function copyOpenFiles(
  pid: number,
  directories: readonly string[],
  destination: string,
): Promise<CapturedFile[]> {
  await mkdir(destination, { recursive: true, mode: 0o700 });
  const fdDir = `/proc/${pid}/fd`;
  const captured: CapturedFile[] = [];

  for (const fd of await readdir(fdDir)) {
    const target = await readlink(join(fdDir, fd)).catch(() => undefined);
    if (!target?.startsWith('/')) continue;

    const deleted = target.endsWith(' (deleted)');
    const origin = deleted ? target.slice(0, -' (deleted)'.length) : target;
    const inDirectory = directories.some((dir) => origin.startsWith(`${dir}/`));
    if (!deleted && !inDirectory) continue;

    const copy = join(destination, `fd${fd}-${basename(origin)}`);
    try {
      await copyFile(join(fdDir, fd), copy);
      const { size } = await stat(copy);
      captured.push({ copy, origin, deleted, bytes: size });
    } catch (error) {
      // The server may close a temporary file between readlink and the copy.
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }
  return captured;
}

/** Copies the regular files of a directory (not recursive) into `destination`. */
export async function copyDirectoryFiles(source: string, destination: string) {
  await mkdir(destination, { recursive: true, mode: 0o700 });
  const captured: CapturedFile[] = [];
  for (const entry of await readdir(source, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const origin = join(source, entry.name);
    const copy = join(destination, entry.name);
    try {
      await copyFile(origin, copy);
      captured.push({ copy, origin, deleted: false, bytes: (await stat(copy)).size });
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }
  return captured;
}
