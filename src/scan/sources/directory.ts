import type { Stats } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  fileIdentity,
  valuesFileExclusion,
  type ExcludedInput,
  type OpenContext,
  type OpenedSource,
  type Region,
  type SkippedInput,
} from './types.js';
import { openUnsized } from './unsized.js';

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? 'EIO';
}

function errnoReason(error: unknown): string {
  const code = errnoCode(error);
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'removed during the scan';
  if (code === 'EAGAIN') return 'the file waits for data, like a pipe; not read';
  return (error as Error)?.message ?? code;
}

/** Kind and reason of an entry that a tree scan does not read by design. */
function excludedKind(stats: Stats): { kind: string; reason: string } {
  if (stats.isSymbolicLink())
    return { kind: 'symbolic link', reason: 'not followed; scan its target by naming it' };
  if (stats.isFIFO()) return { kind: 'named pipe', reason: 'not read: it holds no stored data' };
  if (stats.isSocket()) return { kind: 'socket', reason: 'not read: it holds no stored data' };
  return { kind: 'device', reason: 'not read inside a tree; name the device to scan it' };
}

/** Entries of one tree walk, filled in as the walk goes. */
interface Walk {
  readonly root: string;
  readonly source: number;
  readonly context: OpenContext;
  readonly regions: Region[];
  readonly skipped: SkippedInput[];
  readonly excluded: ExcludedInput[];
  files: number;
}

async function listDirectory(walk: Walk, directory: string): Promise<string[] | undefined> {
  try {
    const handle = await opendir(directory);
    const entries: string[] = [];
    for await (const entry of handle) entries.push(entry.name);
    return entries.sort();
  } catch (error) {
    walk.skipped.push({
      source: walk.root,
      path: directory,
      code: errnoCode(error),
      reason: errnoReason(error),
    });
    return undefined;
  }
}

async function addFile(walk: Walk, path: string, stats: Stats) {
  walk.files++;
  if (walk.context.exclude.has(fileIdentity(stats))) {
    walk.excluded.push(valuesFileExclusion(walk.root, path));
    return;
  }
  if (stats.size > 0) {
    const read = { kind: 'file', path, position: 0 } as const;
    walk.regions.push({ source: walk.source, length: stats.size, read, path, fileOffset: 0 });
    return;
  }
  // Size 0 is either an empty file or a pseudo-file whose content is made when read.
  const { region, skipped } = await openUnsized(path, walk.source, walk.root, walk.context, {
    follow: false,
  });
  if (region) walk.regions.push(region);
  if (skipped) walk.skipped.push(skipped);
}

/**
 * Lists every regular file under `root` (without following symbolic links) as a region. Entries
 * that cannot be read are reported as skipped. Symbolic links, pipes, sockets and devices are
 * listed as excluded, because a tree scan does not read them by design.
 */
export async function openDirectory(
  root: string,
  source: number,
  context: OpenContext,
): Promise<OpenedSource> {
  const walk: Walk = { root, source, context, regions: [], skipped: [], excluded: [], files: 0 };
  const pending = [root];

  while (pending.length > 0) {
    const directory = pending.pop()!;
    const entries = await listDirectory(walk, directory);
    for (const name of entries ?? []) {
      const path = join(directory, name);
      try {
        const stats = await lstat(path);
        if (stats.isDirectory()) pending.push(path);
        else if (stats.isFile()) await addFile(walk, path, stats);
        else walk.excluded.push({ source: root, path, ...excludedKind(stats) });
      } catch (error) {
        walk.skipped.push({
          source: root,
          path,
          code: errnoCode(error),
          reason: errnoReason(error),
        });
      }
    }
  }

  return {
    summary: {
      name: root,
      kind: 'directory',
      bytes: walk.regions.reduce((sum, r) => sum + r.length, 0),
      regions: walk.regions.length,
      files: walk.files,
    },
    regions: walk.regions,
    skipped: walk.skipped,
    excluded: walk.excluded,
    problems: [],
  };
}
