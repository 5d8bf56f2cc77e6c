import { readInputBytes } from '../files.js';

/**
 * Largest quote file read: quotes are a few KiB (the broker accepts up to 16 KiB), and hex or
 * base64 text of one is at most twice that, so 1 MiB leaves a wide margin.
 */
export const MAX_QUOTE_FILE_BYTES = 1024 * 1024;

/** Reads a quote file (binary, base64 or hex; `-` for standard input) and parses it. */
export async function readQuote(path: string) {
  const [{ parseQuote }, { decodeQuoteInput }] = await Promise.all([
    import('../../attest/abi/quote.js'),
    import('../../attest/quote-input.js'),
  ]);
  const bytes = await readInputBytes(path, 'quote file', { maxBytes: MAX_QUOTE_FILE_BYTES });
  return parseQuote(decodeQuoteInput(bytes));
}
