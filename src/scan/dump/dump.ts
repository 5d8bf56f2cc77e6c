import { open, type FileHandle } from 'node:fs/promises';
import { isErrno } from '../../util/fs.js';
import { ScanError } from '../errors.js';
import { readMaps, readableMappings } from '../sources/process.js';
import { layoutCore, PAGE, type Layout } from './core-layout.js';
import { processNotes, readProcessStat } from './notes.js';
import {
  checkOutput,
  createOutput,
  discardOutput,
  outputError,
  publishOutput,
  type CoreOutput,
} from './output.js';

/** Options of {@link dumpProcess}. */
export interface DumpOptions {
  readonly pid: number;
  /** Core file to create (mode 0600); never a symbolic link. */
  readonly output: string;
  /** Replace an existing regular file at `output`; default false. */
  readonly force?: boolean | undefined;
  /**
   * Stop the process with SIGSTOP while its memory is copied, then SIGCONT; default false. A
   * process that is already stopped is left stopped.
   */
  readonly freeze?: boolean | undefined;
  readonly onProgress?: ((copiedBytes: number, totalBytes: number) => void) | undefined;
  /** Aborting stops the dump: the process continues at once and no output file is left. */
  readonly signal?: AbortSignal | undefined;
}

/** A readable mapping whose bytes could not be read; they are zeros in the core. */
export interface UnreadableMapping {
  readonly name: string;
  readonly address: string;
  readonly reason: string;
}

/** Result of {@link dumpProcess}. */
export interface DumpResult {
  readonly pid: number;
  readonly output: string;
  /** Size of the core file; zero pages are holes, so it takes less disk space. */
  readonly fileBytes: number;
  readonly memoryBytes: number;
  readonly segments: number;
  readonly threads: number;
  readonly unreadable: readonly UnreadableMapping[];
  readonly seconds: number;
}

const COPY_BYTES = 1 << 20;

function checkArchitecture() {
  if (process.arch !== 'x64') {
    throw new ScanError(
      'DUMP_FAILED',
      `process dumps are written for x86-64 only, not ${process.arch}`,
      { hint: 'use gcore from gdb on this machine' },
    );
  }
}

function interrupted(options: DumpOptions): ScanError {
  return new ScanError(
    'INTERRUPTED',
    `the dump of process ${options.pid} was interrupted; ${options.output} was not written`,
    { cause: options.signal?.reason },
  );
}

/** Ends of the runs of non-zero pages in `bytes`, as [start, end) pairs. */
function nonZeroRuns(bytes: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let page = 0; page < bytes.length; page += PAGE) {
    const end = Math.min(bytes.length, page + PAGE);
    let zero = true;
    for (let i = page; i < end && zero; i++) zero = bytes[i] === 0;
    if (zero) continue;
    const last = runs.at(-1);
    if (last && last[1] === page) last[1] = end;
    else runs.push([page, end]);
  }
  return runs;
}

/** Copies one mapping into the core, leaving zero pages as holes; returns why it stopped early. */
async function copySegment(
  memory: FileHandle,
  output: FileHandle,
  segment: Layout['segments'][number],
  buffer: Buffer,
  options: DumpOptions,
  onCopied: (bytes: number) => void,
): Promise<string | undefined> {
  const size = Number(segment.mapping.end - segment.mapping.start);
  for (let done = 0; done < size; done += buffer.length) {
    if (options.signal?.aborted) throw interrupted(options);
    const length = Math.min(buffer.length, size - done);
    let bytesRead: number;
    try {
      ({ bytesRead } = await memory.read(buffer, 0, length, Number(segment.mapping.start) + done));
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    for (const [start, end] of nonZeroRuns(buffer.subarray(0, bytesRead))) {
      await output.write(buffer, start, end - start, segment.offset + done + start);
    }
    onCopied(length);
    if (bytesRead < length) return `read ended after ${done + bytesRead} of ${size} bytes`;
  }
  return undefined;
}

/** Writes headers, notes and the memory of every readable mapping; returns the failed mappings. */
async function writeCore(
  memory: FileHandle,
  output: CoreOutput,
  layout: Layout,
  options: DumpOptions,
): Promise<UnreadableMapping[]> {
  const unreadable: UnreadableMapping[] = [];
  const readable = layout.segments.filter((s) => s.readable);
  let memoryBytes = 0;
  for (const s of readable) memoryBytes += Number(s.mapping.end - s.mapping.start);
  let copied = 0;
  const onCopied = (bytes: number) => {
    copied += bytes;
    options.onProgress?.(copied, memoryBytes);
  };

  await output.handle.write(layout.headers, 0, layout.headers.length, 0);
  const buffer = Buffer.alloc(COPY_BYTES);
  for (const segment of readable) {
    const reason = await copySegment(memory, output.handle, segment, buffer, options, onCopied);
    if (reason) {
      unreadable.push({
        name: segment.mapping.path || '[anonymous]',
        address: `0x${segment.mapping.start.toString(16)}`,
        reason,
      });
    }
  }
  // Trailing zero pages were skipped, so the size is set last.
  await output.handle.truncate(layout.fileBytes);
  return unreadable;
}

/**
 * Stops a process with SIGSTOP and makes sure that it gets SIGCONT: from `thaw`, as soon as
 * `signal` aborts, and when this process exits. A process that is stopped already is left so.
 */
// NOTE: if this process is killed with SIGKILL or crashes while the target is stopped, no code
// runs to send SIGCONT, and the target stays stopped until someone sends it.
async function freeze(pid: number, signal: AbortSignal | undefined): Promise<() => void> {
  if (pid === process.pid) {
    throw new ScanError('DUMP_FAILED', '--freeze cannot stop the process that writes the dump', {
      hint: 'dump this process without --freeze',
    });
  }
  const { state } = await readProcessStat(pid);
  if (state === 'T' || state === 't') return () => undefined;

  let frozen = true;
  const thaw = () => {
    if (!frozen) return;
    frozen = false;
    process.removeListener('exit', thaw);
    signal?.removeEventListener('abort', thaw);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // The process has exited, so nothing is left stopped.
    }
  };
  try {
    process.kill(pid, 'SIGSTOP');
  } catch (error) {
    const reason = isErrno(error, 'EPERM') ? 'permission denied' : (error as Error).message;
    throw new ScanError('DUMP_FAILED', `cannot stop process ${pid}: ${reason}`, {
      hint: 'run as the owner of the process or as root, or dump without --freeze',
      cause: error,
    });
  }
  process.once('exit', thaw);
  signal?.addEventListener('abort', thaw, { once: true });
  return thaw;
}

/**
 * Writes the memory of a live process as an ELF core file that readelf, gdb and `scan` read:
 * one PT_LOAD per mapping (unreadable ones with no file bytes), process and thread notes, and
 * holes for zero pages. The core goes to a temporary file beside `output` that is renamed when
 * complete, so a failed or interrupted dump leaves no file. Only x86-64 is supported.
 *
 * @example
 * const result = await dumpProcess({ pid: 1234, output: 'mariadbd.core' });
 */
export async function dumpProcess(options: DumpOptions): Promise<DumpResult> {
  checkArchitecture();
  const started = performance.now();
  await checkOutput(options.output, options.force === true);
  const mappings = (await readMaps(options.pid)).filter((m) => m.path !== '[vsyscall]');
  const { notes, threads } = await processNotes(options.pid, mappings);
  const layout = layoutCore(mappings, new Set(readableMappings(mappings)), notes);

  const memory = await open(`/proc/${options.pid}/mem`, 'r');
  let output: CoreOutput | undefined;
  let thaw = () => {};
  try {
    output = await createOutput(options.output, options.force === true);
    if (options.freeze) thaw = await freeze(options.pid, options.signal);
    if (options.signal?.aborted) throw interrupted(options);
    const unreadable = await writeCore(memory, output, layout, options);
    thaw();
    await publishOutput(output);
    return {
      pid: options.pid,
      output: options.output,
      fileBytes: layout.fileBytes,
      memoryBytes: layout.segments.reduce(
        (sum, s) => sum + (s.readable ? Number(s.mapping.end - s.mapping.start) : 0),
        0,
      ),
      segments: mappings.length,
      threads,
      unreadable,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    thaw();
    if (output) await discardOutput(output);
    if (error instanceof ScanError) throw error;
    throw outputError(options.output, error, 'write', layout.fileBytes);
  } finally {
    thaw();
    await memory.close();
  }
}
