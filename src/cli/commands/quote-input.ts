import { readInputBytes } from '../files.js';

/** Reads a quote file (binary, base64 or hex; `-` for standard input) and parses it. */
export async function readQuote(path: string) {
  const [{ parseQuote }, { decodeQuoteInput }] = await Promise.all([
    import('../../attest/abi/quote.js'),
    import('../../attest/quote-input.js'),
  ]);
  return parseQuote(decodeQuoteInput(await readInputBytes(path, 'quote file')));
}
