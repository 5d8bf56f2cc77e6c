import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ServerError } from '../errors.js';
import type { StateLayout } from '../mariadb/layout.js';
import { isErrno, writeNewFile } from '../util/fs.js';
import { isProcessRunning } from '../util/process.js';
import { LOCK_FILE_NAME } from './manifest.js';

/** Releases a state directory lock; safe to call twice. */
export type ReleaseLock = () => Promise<void>;

/** Returns the pid of a live process that holds the lock of a state directory, if any. */
export async function lockHolder(layout: StateLayout): Promise<number | undefined> {
  const path = join(layout.root, LOCK_FILE_NAME);
  const owner = Number.parseInt((await readFile(path, 'utf8').catch(() => '')).trim(), 10);
  if (Number.isInteger(owner) && owner > 0 && (await isProcessRunning(owner))) return owner;
  return undefined;
}

function busy(layout: StateLayout, owner: number) {
  return new ServerError(
    'STATE_DIR_BUSY',
    `another mariadb-tdx process (pid ${owner}) is working on ${layout.root}`,
    { hint: 'wait for it to finish, then run the command again' },
  );
}

/** Throws STATE_DIR_BUSY when another live process holds the lock of a state directory. */
export async function rejectIfLocked(layout: StateLayout) {
  const owner = await lockHolder(layout);
  if (owner !== undefined && owner !== process.pid) throw busy(layout, owner);
}

/**
 * Takes the lock of a state directory so that two `up` or `down` runs never work on it at once.
 * The lock file holds the owner's pid; a lock whose owner has exited is taken over.
 */
export async function lockStateDir(layout: StateLayout): Promise<ReleaseLock> {
  const path = join(layout.root, LOCK_FILE_NAME);

  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeNewFile(path, `${process.pid}\n`, 0o600);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }

    const owner = await lockHolder(layout);
    if (owner !== undefined) throw busy(layout, owner);
    // The owner exited without releasing the lock.
    await unlink(path).catch(() => undefined);
  }

  throw new ServerError('STATE_DIR_BUSY', `cannot lock ${layout.root}`, {
    hint: `remove ${path} if no mariadb-tdx process runs`,
  });
}
