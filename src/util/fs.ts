import { constants } from 'node:fs';
import { link, mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes a new file and fails with EEXIST if the path exists, so that existing key material can
 * never be replaced. The data is flushed to disk before the function returns.
 */
export async function writeNewFile(path: string, data: string | Uint8Array, mode = 0o600) {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces a file's content atomically: the data goes to a temporary file in the same directory,
 * which is then renamed over the target. Readers see the old or the new content, never a mix.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600) {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(temporary, data, { mode, flag: 'wx' });
    const handle = await open(temporary, 'r');
    await handle.sync();
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** Returns true when the path exists (any file type), false when it does not. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

/** Returns the last `count` lines of a text file, or an empty list when it does not exist. */
export async function readLastLines(path: string, count: number): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }

  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}

/** Narrows an unknown error to a Node.js system error with the given errno code. */
export function isErrno(error: unknown, code: string): error is NodeJS.ErrnoException {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/**
 * Publishes a new file atomically without ever replacing an existing one: the data is written
 * and flushed to a temporary file in the same directory, which is then hard-linked to `path`.
 * link(2) fails with EEXIST when `path` exists, so readers see either no file or the complete
 * one, and an existing file is never overwritten.
 */
export async function publishNewFile(path: string, data: string | Uint8Array, mode = 0o600) {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeNewFile(temporary, data, mode);
    await link(temporary, path);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await syncDirectory(directory);
}

/** Flushes a directory's entries, so that a new or renamed file survives a crash. */
export async function syncDirectory(path: string) {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates a directory and its missing parents, one level at a time. Node's recursive mkdir
 * loops forever on file systems such as /proc that fail every mkdir with ENOENT.
 */
export async function makeDirectories(path: string, mode = 0o700) {
  const missing: string[] = [];
  let current = resolve(path);
  while (!(await pathExists(current))) {
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of missing) {
    try {
      await mkdir(dir, { mode });
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
  }
}
