import type { KdumpSetup, RegionRead } from '../sources/types.js';

/** Start data of every worker. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly image: Uint8Array;
  readonly base: number;
  readonly planPointer: number;
  readonly textCapacity: number;
  readonly patternLengths: Uint32Array;
  /** Bytes of context copied on each side of a hit. */
  readonly contextBytes: number;
  /** Hits per pattern and chunk that get context bytes. */
  readonly contextHits: number;
}

/** Read `length` bytes at region offset `offset` and scan them. */
export interface JobMessage {
  readonly type: 'job';
  readonly id: number;
  readonly read: RegionRead;
  readonly offset: number;
  readonly length: number;
  /** Hits that end at or before this buffer position were found by the previous chunk. */
  readonly reportFrom: number;
}

export type ToWorker =
  JobMessage | { readonly type: 'kdump'; readonly setup: KdumpSetup } | { readonly type: 'close' };

/** A hit with its position in the region and the bytes around it. */
export interface WorkerHit {
  readonly pattern: number;
  /** Offset in the region. */
  readonly offset: number;
  readonly context?: Uint8Array | undefined;
  /** Region offset of context byte 0. */
  readonly contextOffset?: number | undefined;
}

export type FromWorker =
  | {
      readonly type: 'result';
      readonly id: number;
      /** Bytes read and scanned; fewer than requested when the input ended early. */
      readonly bytes: number;
      readonly counts: [pattern: number, count: number][];
      readonly hits: WorkerHit[];
    }
  | {
      readonly type: 'error';
      readonly id: number;
      readonly code: string;
      readonly message: string;
      /** Bytes of the job that were scanned before the error. */
      readonly bytes: number;
    };
