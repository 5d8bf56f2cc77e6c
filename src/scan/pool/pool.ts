import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ScanError } from '../errors.js';
import type { KdumpSetup } from '../sources/types.js';
import type { FromWorker, JobMessage, ToWorker, WorkerInit } from './protocol.js';

/** Jobs queued per worker, so that a worker rarely waits for the main thread between chunks. */
const JOBS_IN_FLIGHT = 2;

/**
 * Returns the compiled worker script. Under the TypeScript test runner this module is a .ts file
 * that worker threads cannot load, so the build output in dist/ is used (`npm test` builds it).
 */
export function workerScript(): URL {
  const beside = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const source = fileURLToPath(import.meta.url);
  const built = source.replace(/\/src\/scan\/pool\/pool\.ts$/, '/dist/scan/pool/worker.js');
  if (built !== source && existsSync(built)) return pathToFileURL(built);
  throw new ScanError('WORKER_FAILED', `the scan worker script is missing next to ${source}`, {
    hint: 'run npm run build',
  });
}

interface Slot {
  readonly worker: Worker;
  readonly exited: Promise<void>;
  inFlight: number;
}

/** A fixed set of scan workers that run chunk jobs and return their results in any order. */
export class ScanPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<
    number,
    { resolve: (r: FromWorker) => void; reject: (e: unknown) => void }
  >();
  private failure: unknown;
  private closed = false;

  constructor(size: number, init: WorkerInit) {
    const url = workerScript();
    this.slots = Array.from({ length: size }, () => {
      // Flags of the main thread such as --input-type would make the worker script fail.
      const worker = new Worker(url, { workerData: init, execArgv: [] });
      worker.on('message', (message: FromWorker) => this.settle(message));
      worker.on('error', (error) => this.fail(error));
      const exited = new Promise<void>((resolve) => {
        worker.once('exit', (code) => {
          if (!this.closed) {
            this.fail(new ScanError('WORKER_FAILED', `a scan worker exited with code ${code}`));
          }
          resolve();
        });
      });
      return { worker, exited, inFlight: 0 };
    });
  }

  get size() {
    return this.slots.length;
  }

  /** Sends the data that workers need to read a kdump source. */
  registerKdump(setup: KdumpSetup) {
    for (const slot of this.slots)
      slot.worker.postMessage({ type: 'kdump', setup } satisfies ToWorker);
  }

  /** True when some worker can take another job without waiting. */
  hasCapacity(): boolean {
    return this.slots.some((slot) => slot.inFlight < JOBS_IN_FLIGHT);
  }

  /** Runs a job on the least busy worker; resolves with its result or error message. */
  run(job: JobMessage): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.slots.reduce((best, s) => (s.inFlight < best.inFlight ? s : best));
    slot.inFlight++;
    return new Promise<FromWorker>((resolve, reject) => {
      this.pending.set(job.id, {
        resolve: (result) => {
          slot.inFlight--;
          resolve(result);
        },
        reject,
      });
      // Bytes jobs carry their own copy of the chunk, which moves to the worker without a copy.
      const transfer = job.read.kind === 'bytes' ? [job.read.data.buffer as ArrayBuffer] : [];
      slot.worker.postMessage(job, transfer);
    });
  }

  private settle(message: FromWorker) {
    const waiter = this.pending.get(message.id);
    this.pending.delete(message.id);
    waiter?.resolve(message);
  }

  private fail(error: unknown) {
    this.failure ??=
      error instanceof ScanError
        ? error
        : new ScanError(
            'WORKER_FAILED',
            `a scan worker failed: ${(error as Error)?.message ?? error}`,
            { cause: error },
          );
    for (const waiter of this.pending.values()) waiter.reject(this.failure);
    this.pending.clear();
  }

  /** Stops every worker and waits until their threads have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map((slot) => {
        slot.worker.postMessage({ type: 'close' } satisfies ToWorker);
        // A worker stuck in a read does not see the message; terminate it after a grace period.
        const timer = setTimeout(() => void slot.worker.terminate(), 2000);
        return slot.exited.finally(() => clearTimeout(timer));
      }),
    );
  }
}
