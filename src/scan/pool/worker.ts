import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { MatcherInstance } from '../matcher/instance.js';
import { KdumpLogicalFile, readKdumpPages } from '../sources/kdump-file.js';
import type { KdumpSetup } from '../sources/types.js';
import type { FromWorker, JobMessage, ToWorker, WorkerHit, WorkerInit } from './protocol.js';

// Worker thread of the scan pool: reads each chunk itself (straight into WebAssembly memory,
// so file bytes are copied once) and scans it.

const init = workerData as WorkerInit;
const matcher = new MatcherInstance(init.module, init, init.textCapacity);
const port = parentPort!;

const MAX_OPEN_FILES = 16;
const files = new Map<string, number>();
const kdumps = new Map<number, { setup: KdumpSetup; fd: number; file: KdumpLogicalFile }>();
let kdumpScratch: Uint8Array | undefined;

function fileDescriptor(path: string): number {
  let fd = files.get(path);
  if (fd !== undefined) return fd;
  if (files.size >= MAX_OPEN_FILES) {
    const [oldest, oldFd] = files.entries().next().value as [string, number];
    closeSync(oldFd);
    files.delete(oldest);
  }
  fd = openSync(path, 'r');
  files.set(path, fd);
  return fd;
}

/** Reads into the matcher's text buffer; returns the bytes read (fewer at end of file). */
function readFile(path: string, position: number, length: number): number {
  const fd = fileDescriptor(path);
  let done = 0;
  while (done < length) {
    const got = readSync(fd, matcher.text, done, length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}

function readKdump(
  source: number,
  firstDescriptor: number,
  offset: number,
  length: number,
): number {
  const entry = kdumps.get(source)!;
  const pageSize = entry.setup.pageSize;
  const firstPage = Math.floor(offset / pageSize);
  const pages = Math.ceil((offset + length) / pageSize) - firstPage;
  if (!kdumpScratch || kdumpScratch.length < pages * pageSize)
    kdumpScratch = new Uint8Array(pages * pageSize);
  const read = readKdumpPages(
    entry.file,
    entry.setup.path,
    entry.setup.descriptorsAt,
    pageSize,
    firstDescriptor + firstPage,
    pages,
    kdumpScratch,
  );
  // A truncated dump ends early; the bytes of the pages present are scanned.
  const start = offset - firstPage * pageSize;
  const bytes = Math.max(0, Math.min(length, read * pageSize - start));
  matcher.text.set(kdumpScratch.subarray(start, start + bytes));
  return bytes;
}

function readJob(job: JobMessage): number {
  const read = job.read;
  switch (read.kind) {
    case 'file':
      return readFile(read.path, read.position + job.offset, job.length);
    case 'bytes':
      // The main thread sends exactly the chunk's bytes.
      matcher.text.set(read.data);
      return read.data.length;
    case 'kdump':
      return readKdump(read.source, read.firstDescriptor, job.offset, job.length);
  }
}

function runJob(job: JobMessage): FromWorker {
  let bytes = 0;
  try {
    bytes = readJob(job);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'EIO';
    return { type: 'error', id: job.id, code, message: (error as Error).message, bytes: 0 };
  }

  const { counts, positions } = matcher.scan(bytes, job.reportFrom);
  const contexts = new Map<number, number>();
  const hits: WorkerHit[] = positions.map(([pattern, position]) => {
    const given = contexts.get(pattern) ?? 0;
    const offset = job.offset + position;
    if (given >= init.contextHits) return { pattern, offset };
    contexts.set(pattern, given + 1);
    // NOTE: context stops at the chunk's end, so a hit in the last bytes of a chunk shows less
    // context after it (the next chunk contains those bytes).
    const start = Math.max(0, position - init.contextBytes);
    const end = Math.min(bytes, position + init.patternLengths[pattern]! + init.contextBytes);
    return {
      pattern,
      offset,
      context: matcher.text.slice(start, end),
      contextOffset: job.offset + start,
    };
  });
  return { type: 'result', id: job.id, bytes, counts, hits };
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'job') {
    port.postMessage(runJob(message));
  } else if (message.type === 'kdump') {
    const fd = openSync(message.setup.path, 'r');
    const file = new KdumpLogicalFile(fd, message.setup.path, message.setup.extents);
    kdumps.set(message.setup.source, { setup: message.setup, fd, file });
  } else {
    for (const fd of files.values()) closeSync(fd);
    for (const { fd } of kdumps.values()) closeSync(fd);
    port.close();
  }
});
