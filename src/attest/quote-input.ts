import { QuoteFormatError } from './errors.js';

const WHITESPACE = new Set([0x09, 0x0a, 0x0d, 0x20]);

/**
 * Quote bytes from the content of a quote file: the raw binary quote, or base64 or hex text of
 * it (trustee evidence and many tools print quotes as base64; hex may carry a 0x prefix). A
 * binary quote starts with a version number below 0x20, so it is never mistaken for text.
 * Content made only of printable characters that is neither base64 nor hex fails with
 * QUOTE_ENCODING_INVALID, naming the first character that does not fit.
 */
export function decodeQuoteInput(content: Uint8Array): Uint8Array {
  if (content.length === 0 || !isPrintableText(content)) return content;
  const text = Buffer.from(content).toString('latin1');
  const start = text.search(/\S/);
  const prefixed = /^0[xX]/.test(text.slice(start));
  const digits = (prefixed ? text.slice(start + 2) : text).replace(/\s+/g, '');

  if (/^[0-9a-fA-F]+$/.test(digits)) {
    if (digits.length % 2 !== 0) {
      throw encodingError(`the quote is hex text with an odd number of digits (${digits.length})`);
    }
    return new Uint8Array(Buffer.from(digits, 'hex'));
  }
  if (prefixed) {
    const offset = firstMismatch(text, start + 2, /[0-9a-fA-F]/);
    throw encodingError(
      `the quote starts with 0x but is not hex: ${describeCharacter(text, offset)}`,
      offset,
    );
  }
  // Base64 may be wrapped into lines, but a line has no inner spaces.
  const base64 = text
    .trim()
    .split(/\r?\n/)
    .map((line) => line.trim())
    .join('');
  if (/^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/.test(base64) && base64.length % 4 !== 1) {
    const urlSafe = /[-_]/.test(base64);
    return new Uint8Array(Buffer.from(base64, urlSafe ? 'base64url' : 'base64'));
  }
  const offset = firstMismatch(text, start, /[A-Za-z0-9+/=_-]/, true);
  throw encodingError(
    offset < text.length
      ? `the quote is text but neither base64 nor hex: ${describeCharacter(text, offset)}`
      : 'the quote is text but neither base64 nor hex: its base64 padding or length is wrong',
    offset < text.length ? offset : 0,
  );
}

function isPrintableText(content: Uint8Array): boolean {
  return content.every((byte) => (byte >= 0x20 && byte < 0x7f) || WHITESPACE.has(byte));
}

/**
 * Offset of the first character at or after `from` that `allowed` rejects, or the text length.
 * With `lineBreaksOnly`, whitespace is allowed only at the start or end of a line.
 */
function firstMismatch(text: string, from: number, allowed: RegExp, lineBreaksOnly = false) {
  const trailing = text.trimEnd().length;
  for (let i = from; i < trailing; i += 1) {
    const character = text[i]!;
    if (allowed.test(character)) continue;
    if (!/\s/.test(character)) return i;
    if (!lineBreaksOnly || atLineEdge(text, i)) continue;
    return i;
  }
  return text.length;
}

function atLineEdge(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf('\n', offset) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
  const column = offset - lineStart;
  return column < line.length - line.trimStart().length || column >= line.trimEnd().length;
}

function describeCharacter(text: string, offset: number): string {
  if (offset >= text.length) return 'no digits follow';
  return `character ${JSON.stringify(text[offset])} at offset ${offset} does not belong`;
}

function encodingError(message: string, offset = 0): QuoteFormatError {
  return new QuoteFormatError(
    'QUOTE_ENCODING_INVALID',
    message,
    { field: 'input', offset },
    { hint: 'pass the quote as binary, base64 or hex (0x prefix allowed)' },
  );
}
