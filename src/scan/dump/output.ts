import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isErrno } from '../../util/fs.js';
import { ScanError } from '../errors.js';
import { formatBytes } from '../format.js';

// The core file of a dump: written to a temporary file beside the output, and moved to the
// output path only when complete, so that an interrupted dump never looks like a finished one.

/** A core file being written, and where it goes when it is complete. */
export interface CoreOutput {
  readonly path: string;
  readonly temporary: string;
  readonly handle: FileHandle;
  readonly force: boolean;
}

function kindOf(stats: { isDirectory(): boolean; isSymbolicLink(): boolean }): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/**
 * Checks the output path before any work: it must not exist unless `force` is set, and an
 * existing entry must be a regular file. A symbolic link is rejected even with `force`, because
 * a core contains the process's secrets and a link could send it somewhere the user did not mean.
 */
export async function checkOutput(path: string, force: boolean) {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return;
    throw outputError(path, error, 'check');
  }
  if (!stats.isFile()) {
    throw new ScanError(
      'OUTPUT_UNSUPPORTED',
      `${path} is ${kindOf(stats)}; a dump is written only as a new regular file`,
      { hint: 'choose a path for a new file, for example: -o ./process.core' },
    );
  }
  if (!force) {
    throw new ScanError('OUTPUT_EXISTS', `${path} already exists`, {
      hint: 'choose another path, or pass --force to replace it',
    });
  }
}

/** Creates the temporary file, mode 0600, in the directory of `path`. */
export async function createOutput(path: string, force: boolean): Promise<CoreOutput> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    return { path, temporary, handle: await open(temporary, flags, 0o600), force };
  } catch (error) {
    throw outputError(path, error, 'create');
  }
}

/** Moves the complete core to its path; without `force` an entry created meanwhile stays. */
export async function publishOutput(output: CoreOutput) {
  await output.handle.close();
  try {
    if (output.force) {
      await checkOutput(output.path, true);
      await rename(output.temporary, output.path);
    } else {
      // link(2) fails with EEXIST instead of replacing what another process created meanwhile.
      await link(output.temporary, output.path);
      await unlink(output.temporary);
    }
  } catch (error) {
    if (isErrno(error, 'EEXIST')) {
      throw new ScanError('OUTPUT_EXISTS', `${output.path} was created during the dump`, {
        hint: 'choose another path, or pass --force to replace it',
        cause: error,
      });
    }
    throw error instanceof ScanError ? error : outputError(output.path, error, 'write');
  }
}

/** Closes and removes the temporary file of a dump that did not finish. */
export async function discardOutput(output: CoreOutput) {
  await output.handle.close().catch(() => undefined);
  await unlink(output.temporary).catch(() => undefined);
}

/**
 * Explains a failure to check, create or write the output, naming the path and the fix.
 * `bytes` is the size of the core, for messages about space.
 */
export function outputError(
  path: string,
  error: unknown,
  action: 'check' | 'create' | 'write',
  bytes?: number,
): ScanError {
  const size = bytes === undefined ? '' : ` (the core file is ${formatBytes(bytes)})`;
  const options = { cause: error };
  if (isErrno(error, 'EFBIG')) {
    return new ScanError(
      'OUTPUT_FAILED',
      `writing ${path} failed: the file size limit was reached${size}`,
      {
        ...options,
        hint: 'raise the limit (ulimit -f unlimited), or write the dump to another file system with -o',
      },
    );
  }
  if (isErrno(error, 'ENOSPC') || isErrno(error, 'EDQUOT')) {
    const reason = isErrno(error, 'EDQUOT')
      ? 'the disk quota was reached'
      : 'no space is left on the device';
    return new ScanError('OUTPUT_FAILED', `writing ${path} failed: ${reason}${size}`, {
      ...options,
      hint: 'free some space, or write the dump to another file system with -o',
    });
  }
  if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) {
    return new ScanError('OUTPUT_FAILED', `the directory of ${path} does not exist`, {
      ...options,
      hint: 'create the directory first, or choose another path with -o',
    });
  }
  if (isErrno(error, 'ELOOP')) {
    return new ScanError('OUTPUT_FAILED', `a part of ${path} is a loop of symbolic links`, {
      ...options,
      hint: 'check where the links point, for example with: readlink -f PATH',
    });
  }
  if (isErrno(error, 'EACCES') || isErrno(error, 'EPERM') || isErrno(error, 'EROFS')) {
    const reason = isErrno(error, 'EROFS') ? 'the file system is read-only' : 'permission denied';
    return new ScanError('OUTPUT_FAILED', `cannot ${action} ${path}: ${reason}`, {
      ...options,
      hint: 'choose a directory this user can write to',
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new ScanError('OUTPUT_FAILED', `cannot ${action} ${path}: ${reason}`, {
    ...options,
    hint: 'choose another path with -o',
  });
}
