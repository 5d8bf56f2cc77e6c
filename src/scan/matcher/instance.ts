import { MATCHER_WASM_BASE64 } from './wasm-binary.js';
import { PLAN } from './tables.js';

const WASM_PAGE = 65536;

interface MatcherExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  readonly scan: (plan: number, text: number, length: number, reportFrom: number) => number;
}

let compiled: { module: WebAssembly.Module; tablesBase: number } | undefined;

/**
 * Compiles the matcher module once per thread and returns it with the address where its tables
 * start (the first page after the module's own data and stack).
 */
export function matcherModule(): { module: WebAssembly.Module; tablesBase: number } {
  if (!compiled) {
    const module = new WebAssembly.Module(Buffer.from(MATCHER_WASM_BASE64, 'base64'));
    const exports = new WebAssembly.Instance(module, {}).exports as unknown as MatcherExports;
    const heapBase = exports.__heap_base.value as number;
    compiled = { module, tablesBase: Math.ceil(heapBase / WASM_PAGE) * WASM_PAGE };
  }
  return compiled;
}

/** The tables image to load into an instance, as built by buildMatcherTables. */
export interface TablesImage {
  readonly base: number;
  readonly image: Uint8Array;
  readonly planPointer: number;
}

/** Hits of one scan call: per-pattern counts and the first recorded positions. */
export interface ScanCallResult {
  /** Pattern index and hit count, for every pattern with at least one hit. */
  readonly counts: [pattern: number, count: number][];
  /** Pattern index and start position in the text, up to the per-pattern limit. */
  readonly positions: [pattern: number, position: number][];
}

/** One instance of the matcher with its tables loaded and a text buffer of fixed capacity. */
export class MatcherInstance {
  private readonly exports: MatcherExports;
  private readonly words: Uint32Array;
  private readonly textPointer: number;
  private readonly planWord: number;
  /** The text buffer; callers fill its first `length` bytes before calling scan. */
  readonly text: Uint8Array;

  constructor(module: WebAssembly.Module, tables: TablesImage, textCapacity: number) {
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as MatcherExports;
    const memory = this.exports.memory;
    this.textPointer = Math.ceil((tables.base + tables.image.length) / WASM_PAGE) * WASM_PAGE;
    const needed = this.textPointer + textCapacity + WASM_PAGE;
    if (needed > memory.buffer.byteLength) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / WASM_PAGE));
    }
    new Uint8Array(memory.buffer).set(tables.image, tables.base);
    // The memory never grows again, so these views stay valid.
    this.words = new Uint32Array(memory.buffer);
    this.text = new Uint8Array(memory.buffer, this.textPointer, textCapacity);
    this.planWord = tables.planPointer / 4;
  }

  /** Scans text[0, length) for hits that end after `reportFrom`, and resets the counters. */
  scan(length: number, reportFrom: number): ScanCallResult {
    const hitCount = this.exports.scan(this.planWord * 4, this.textPointer, length, reportFrom);
    const plan = this.planWord;
    const words = this.words;
    const countsWord = words[plan + PLAN.counts]! / 4;
    const touchedWord = words[plan + PLAN.touched]! / 4;
    const touchedCount = words[plan + PLAN.touchedCount]!;
    const hitsWord = words[plan + PLAN.hits]! / 4;

    const counts: [number, number][] = [];
    for (let i = 0; i < touchedCount; i++) {
      const pattern = words[touchedWord + i]!;
      counts.push([pattern, words[countsWord + pattern]!]);
      words[countsWord + pattern] = 0;
    }
    const positions: [number, number][] = [];
    for (let i = 0; i < hitCount; i++) {
      positions.push([words[hitsWord + 2 * i]!, words[hitsWord + 2 * i + 1]!]);
    }
    return { counts, positions };
  }
}
