import { CollateralError } from '../errors.js';
import { parseJsonObject } from './json-fields.js';

/**
 * A signed collateral document as Intel serves it: `{"tcbInfo"|"enclaveIdentity": {...},
 * "signature": "<hex>"}`. Intel signs the exact bytes of the inner object, so `text` keeps them as
 * received; re-serialising the parsed object could change whitespace or number forms.
 */
export interface SignedJson {
  readonly text: string;
  readonly signature: Uint8Array;
}

/** Splits a raw PCS response body into the signed text of member `key` and its signature. */
export function splitSignedJson(body: string, key: string, source: string): SignedJson {
  const parsed = parseJsonObject(body, source);
  const members = topLevelMembers(body, source);
  const text = members.get(key);
  const signature = parsed.signature;
  if (text === undefined || !text.startsWith('{')) throw invalid(source, `has no "${key}" object`);
  if (typeof signature !== 'string') throw invalid(source, 'has no "signature" string');
  return { text, signature: decodeSignatureHex(signature, source) };
}

/** Decodes a 64-byte raw r‖s ECDSA signature written as 128 hex digits. */
export function decodeSignatureHex(hex: string, source: string): Uint8Array {
  if (!/^[0-9a-fA-F]{128}$/.test(hex)) {
    throw invalid(source, 'has a signature that is not 128 hex digits (raw ECDSA P-256 r‖s)');
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * Maps each top-level member name to the exact source text of its value. A repeated name is
 * rejected: JSON.parse keeps the last copy, so a verifier that signed one copy and read another
 * could be fooled.
 */
function topLevelMembers(text: string, source: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = skipSpace(text, 0) + 1; // past '{', which JSON.parse has already confirmed
  for (;;) {
    i = skipSpace(text, i);
    if (text[i] === '}') return members;
    const keyEnd = scanString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd) + 1; // past ':'
    const valueStart = skipSpace(text, i);
    const valueEnd = scanValue(text, valueStart);
    if (members.has(key)) throw invalid(source, `repeats the member "${key}"`);
    members.set(key, text.slice(valueStart, valueEnd));
    i = skipSpace(text, valueEnd);
    if (text[i] === ',') i += 1;
  }
}

// The scanners below run only on text that JSON.parse accepted, so they need not validate it.

function scanValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return scanString(text, start);
  if (first !== '{' && first !== '[') {
    let i = start;
    while (i < text.length && !',}] \t\r\n'.includes(text[i]!)) i += 1;
    return i;
  }

  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i = scanString(text, i);
      continue;
    }
    if (c === '{' || c === '[') depth += 1;
    if (c === '}' || c === ']') depth -= 1;
    i += 1;
    if (depth === 0) return i;
  }
  return i;
}

function scanString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i += 1;
  return i;
}

function invalid(source: string, reason: string): CollateralError {
  return new CollateralError('COLLATERAL_INVALID', `${source} ${reason}`, { source });
}
