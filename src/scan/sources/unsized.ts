import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { formatBytes } from '../format.js';
import type { OpenContext, Region, SkippedInput } from './types.js';

/** Bytes read at most from one file whose stat size is 0. */
export const MAX_UNSIZED_FILE_BYTES = 16 << 20;
/** Bytes of such files that one scan keeps in memory at most, across all its sources. */
export const MAX_UNSIZED_TOTAL_BYTES = 64 << 20;

const READ_BYTES = 64 * 1024;

/** Content of a file of unknown size, and whether it ended before the limit. */
export interface UnsizedContent {
  readonly bytes: Uint8Array;
  readonly complete: boolean;
}

/**
 * Reads a file whose stat size is 0 until end of file, up to `limit` bytes. procfs and sysfs
 * report size 0 for files such as /proc/PID/environ whose content is made when read. The file is
 * opened non-blocking, so a pseudo-file that waits for data (a trace pipe) fails with EAGAIN
 * instead of hanging the scan. Unless `follow` is true, a symbolic link fails with ELOOP, so that
 * an entry of a tree replaced by a link after it was listed is not followed.
 */
export async function readUnsized(
  path: string,
  limit: number,
  follow: boolean,
): Promise<UnsizedContent> {
  // NOTE: reading consumes the data of queue-like pseudo-files such as /proc/kmsg, as any reader does.
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW);
  const handle = await open(path, flags);
  try {
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Reading one byte beyond the limit shows whether the file ends there.
      const want = Math.min(READ_BYTES, limit + 1 - total);
      if (want <= 0) break;
      const buffer = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buffer, 0, want, null);
      if (bytesRead === 0) break;
      parts.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
    }
    const bytes = Buffer.concat(parts, total);
    if (total <= limit) return { bytes, complete: true };
    return { bytes: bytes.subarray(0, limit), complete: false };
  } finally {
    await handle.close();
  }
}

/**
 * Reads a file of unknown size into a region of bytes, within the scan's memory budget. Returns
 * the region (undefined for an empty file) and, when not all of it could be read, why.
 */
export async function openUnsized(
  path: string,
  source: number,
  sourceName: string,
  context: OpenContext,
  options: { readonly follow: boolean },
): Promise<{ region?: Region | undefined; skipped?: SkippedInput | undefined }> {
  const limit = Math.min(MAX_UNSIZED_FILE_BYTES, context.unsizedBudget);
  const { bytes, complete } = await readUnsized(path, limit, options.follow);
  context.unsizedBudget -= bytes.length;
  const region: Region | undefined =
    bytes.length > 0
      ? { source, length: bytes.length, read: { kind: 'bytes', data: bytes }, path, fileOffset: 0 }
      : undefined;
  if (complete) return { region };

  const cap =
    limit < MAX_UNSIZED_FILE_BYTES
      ? `the ${formatBytes(MAX_UNSIZED_TOTAL_BYTES)} that one scan keeps of such files`
      : `${formatBytes(MAX_UNSIZED_FILE_BYTES)} per file`;
  const skipped: SkippedInput = {
    source: sourceName,
    path,
    code: 'UNSIZED_TOO_LONG',
    reason: `its size is unknown (stat size 0) and it holds more than ${cap}; the first ${formatBytes(bytes.length)} were scanned`,
    scannedBytes: bytes.length,
  };
  return { region, skipped };
}
