import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenedSource, Region, SkippedInput } from './types.js';

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? 'EIO';
}

function errnoReason(error: unknown): string {
  const code = errnoCode(error);
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'removed during the scan';
  return (error as Error)?.message ?? code;
}

function kindOf(stats: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): string {
  if (stats.isSymbolicLink()) return 'symbolic link, not followed';
  if (stats.isFIFO()) return 'named pipe, not read';
  if (stats.isSocket()) return 'socket, not read';
  return 'device, not read';
}

/**
 * Lists every regular file under `root` (without following symbolic links) as a region. Entries
 * that cannot be listed or are not regular files are reported as skipped, not as errors.
 */
export async function openDirectory(root: string, source: number): Promise<OpenedSource> {
  const regions: Region[] = [];
  const skipped: SkippedInput[] = [];
  const pending = [root];
  let files = 0;

  while (pending.length > 0) {
    const directory = pending.pop()!;
    let entries: string[];
    try {
      const handle = await opendir(directory);
      entries = [];
      for await (const entry of handle) entries.push(entry.name);
    } catch (error) {
      skipped.push({
        source: root,
        path: directory,
        code: errnoCode(error),
        reason: errnoReason(error),
      });
      continue;
    }

    for (const name of entries.sort()) {
      const path = join(directory, name);
      try {
        const stats = await lstat(path);
        if (stats.isDirectory()) pending.push(path);
        else if (stats.isFile()) {
          files++;
          if (stats.size > 0) {
            const read = { kind: 'file', path, position: 0 } as const;
            regions.push({ source, length: stats.size, read, path, fileOffset: 0 });
          }
        } else {
          skipped.push({ source: root, path, code: 'NOT_REGULAR', reason: kindOf(stats) });
        }
      } catch (error) {
        skipped.push({ source: root, path, code: errnoCode(error), reason: errnoReason(error) });
      }
    }
  }

  return {
    summary: {
      name: root,
      kind: 'directory',
      bytes: regions.reduce((sum, r) => sum + r.length, 0),
      regions: regions.length,
      files,
    },
    regions,
    skipped,
    problems: [],
  };
}
