import type { Encoding } from './needles/encodings.js';

/** Printable text around a hit, like `grep -B -A` over `strings -a` output, plus a hex view. */
export interface HitContext {
  /** Printable strings before the one that contains the hit, nearest last. */
  readonly before: readonly string[];
  /** The printable string that contains the hit, or the hit's bytes in hex for binary forms. */
  readonly match: string;
  /** Printable strings after the hit, nearest first. */
  readonly after: readonly string[];
  /** Hex of the hit and up to 8 bytes on each side. */
  readonly hex: string;
}

/** Shortest run of printable characters reported, as the default of `strings`. */
const MIN_STRING = 4;
const MAX_STRING_CHARS = 160;
const HEX_SIDE = 8;

interface Run {
  start: number;
  end: number;
  text: string;
}

/** Length of the printable character at `i`: ASCII text, or a well-formed UTF-8 sequence; else 0. */
function printableLength(bytes: Uint8Array, i: number): number {
  const byte = bytes[i]!;
  if ((byte >= 0x20 && byte < 0x7f) || byte === 0x09) return 1;
  const length =
    byte >= 0xc2 && byte <= 0xdf
      ? 2
      : byte >= 0xe0 && byte <= 0xef
        ? 3
        : byte >= 0xf0 && byte <= 0xf4
          ? 4
          : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  for (let k = 1; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  return length;
}

/** Runs of printable bytes, where well-formed UTF-8 counts as printable. */
function byteRuns(bytes: Uint8Array): Run[] {
  const runs: Run[] = [];
  let start = -1;
  for (let i = 0; i <= bytes.length; i++) {
    const step = i < bytes.length ? printableLength(bytes, i) : 0;
    const printable = step > 0;
    if (printable) {
      if (start < 0) start = i;
      i += step - 1;
      continue;
    }
    if (!printable && start >= 0) {
      if (i - start >= MIN_STRING) {
        runs.push({ start, end: i, text: Buffer.from(bytes.subarray(start, i)).toString('utf8') });
      }
      start = -1;
    }
  }
  return runs;
}

/** Runs of UTF-16LE characters in the printable ASCII range, as `strings -el` finds them. */
function utf16Runs(bytes: Uint8Array, parity: number): Run[] {
  const runs: Run[] = [];
  let start = -1;
  for (let i = parity; i <= bytes.length - 1; i += 2) {
    const unit = i + 1 < bytes.length ? bytes[i]! | (bytes[i + 1]! << 8) : -1;
    const printable = unit >= 0x20 && unit < 0x7f;
    if (printable && start < 0) start = i;
    if (!printable && start >= 0) {
      if ((i - start) / 2 >= MIN_STRING) {
        runs.push({
          start,
          end: i,
          text: Buffer.from(bytes.subarray(start, i)).toString('utf16le'),
        });
      }
      start = -1;
    }
  }
  return runs;
}

function clip(text: string): string {
  return text.length > MAX_STRING_CHARS ? `${text.slice(0, MAX_STRING_CHARS)}…` : text;
}

function hexAround(window: Uint8Array, at: number, length: number): string {
  const start = Math.max(0, at - HEX_SIDE);
  const end = Math.min(window.length, at + length + HEX_SIDE);
  const hex = (from: number, to: number) =>
    Buffer.from(window.subarray(from, to))
      .toString('hex')
      .replace(/(..)(?!$)/g, '$1 ');
  const parts = [hex(start, at), `[${hex(at, at + length)}]`, hex(at + length, end)];
  return parts.filter((part) => part !== '' && part !== '[]').join(' ');
}

/**
 * Builds the context of a hit at `at` (length `length`) inside `window`: `lines` printable
 * strings on each side, and the string holding the hit.
 */
export function hitContext(
  window: Uint8Array,
  at: number,
  length: number,
  encoding: Encoding,
  lines: number,
): HitContext {
  const runs = encoding === 'utf16le' ? utf16Runs(window, at % 2) : byteRuns(window);
  const end = at + length;
  const holding = runs.find((run) => run.start <= at && run.end >= end);
  const before = runs.filter((run) => run.end <= (holding?.start ?? at)).slice(-lines);
  const after = runs.filter((run) => run.start >= (holding?.end ?? end)).slice(0, lines);
  return {
    before: before.map((run) => clip(run.text)),
    match: holding ? clip(holding.text) : hexAround(window, at, length),
    after: after.map((run) => clip(run.text)),
    hex: hexAround(window, at, length),
  };
}
