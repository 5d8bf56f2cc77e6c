import { stat } from 'node:fs/promises';
import { ScanError } from './errors.js';
import { buildNeedles, type NeedleSet } from './needles/needles.js';
import type { ScanOptions } from './scan.js';
import { openSource } from './sources/open.js';
import { fileIdentity, type OpenedSource } from './sources/types.js';
import { MAX_UNSIZED_TOTAL_BYTES } from './sources/unsized.js';

// Checks and preparation of a scan before any worker starts: options, needles and sources.

/** Fingerprint keys shorter than this are rejected, because they could be guessed. */
export const MIN_REDACT_KEY_BYTES = 16;

function checkRange(name: string, value: number | undefined, min: number, max: number) {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new ScanError(
      'VALUES_INVALID',
      `${name} ${value} is not a whole number from ${min} to ${max}`,
    );
  }
}

/** Rejects out-of-range options before any work starts. */
export function checkOptions(options: ScanOptions) {
  checkRange('chunk size', options.chunkBytes, 4096, 1 << 30);
  checkRange('worker count', options.workers, 1, 256);
  checkRange('offsets per value', options.maxOffsets, 0, 1000);
  checkRange('context lines', options.contextLines, 0, 100);
  if (options.redactKey !== undefined && options.redactKey.length < MIN_REDACT_KEY_BYTES) {
    throw new ScanError(
      'VALUES_INVALID',
      `the fingerprint key has ${options.redactKey.length} bytes; it needs at least ${MIN_REDACT_KEY_BYTES}`,
      { hint: 'use a random key, for example: openssl rand 32 > redact.key' },
    );
  }
}

/** Explains why no value is left to search for, for each way that can happen. */
function noValuesError(options: ScanOptions, needles: NeedleSet): ScanError {
  if (options.values.length === 0) {
    return new ScanError('NO_VALUES', 'nothing to search for: no values were given', {
      hint: 'give the values to search for',
    });
  }
  const count = options.values.length;
  const short = needles.rejected.filter((r) => r.reason.startsWith('shorter')).length;
  const hints: string[] = [];
  if (short > 0) {
    hints.push(
      `${short} ${short === 1 ? 'is' : 'are'} shorter than ${needles.minLength} bytes in every encoding searched`,
    );
  }
  if (short < count) {
    const selected = (options.encodings ?? []).join(', ');
    hints.push(
      `${count - short} ${count - short === 1 ? 'has' : 'have'} no form in the encodings selected (${selected}): decimal applies only to values of type decimal, integer to type integer, bytes to raw bytes, utf8 and utf16le to text`,
    );
  }
  return new ScanError(
    'NO_VALUES',
    `nothing to search for: none of the ${count} ${count === 1 ? 'value' : 'values'} can be searched`,
    { hint: `${hints.join('; ')}` },
  );
}

/** Builds the needles, or throws NO_VALUES with the reason that applies. */
export function prepareNeedles(options: ScanOptions): NeedleSet {
  const needles = buildNeedles(options.values, {
    encodings: options.encodings,
    minLength: options.minLength,
  });
  if (needles.patterns.length === 0) throw noValuesError(options, needles);
  return needles;
}

/** Identities of the files not to read; paths that do not exist are ignored. */
async function excludedFiles(paths: readonly string[]): Promise<Set<string>> {
  const identities = new Set<string>();
  for (const path of paths) {
    try {
      identities.add(fileIdentity(await stat(path)));
    } catch {
      // A file that does not exist cannot be scanned either.
    }
  }
  return identities;
}

/** Opens every source in order. */
export async function openAll(options: ScanOptions): Promise<OpenedSource[]> {
  if (options.sources.length === 0) {
    throw new ScanError('NO_SOURCES', 'nothing to scan', {
      hint: 'name files, directories, dumps or a --pid',
    });
  }
  const context = {
    exclude: await excludedFiles(options.exclude ?? []),
    unsizedBudget: MAX_UNSIZED_TOTAL_BYTES,
  };
  const opened: OpenedSource[] = [];
  for (const [index, source] of options.sources.entries()) {
    opened.push(await openSource(source, index, context));
  }
  return opened;
}
