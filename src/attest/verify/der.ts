import { MariadbTdxError } from '../../errors.js';

/**
 * Malformed DER. Raised by the readers below and turned into a verification failure or a
 * CollateralError by their callers, so it never reaches users on its own.
 */
export class DerError extends MariadbTdxError {
  declare readonly code: 'DER_INVALID';

  constructor(message: string) {
    super('DER_INVALID', message);
  }
}

/** One DER tag-length-value element. */
export interface Tlv {
  readonly tag: number;
  /** The whole element, header included. */
  readonly bytes: Uint8Array;
  readonly content: Uint8Array;
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  enumerated: 0x0a,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  context0: 0xa0,
  context3: 0xa3,
} as const;

// Certificates and CRLs here are a few kilobytes; a larger declared length is malformed input.
const MAX_LENGTH = 1 << 24;

/**
 * Reads the element at `offset`. Only the definite, minimal length forms of DER are accepted,
 * and the element must fit inside `data`.
 */
export function readTlv(data: Uint8Array, offset = 0): Tlv {
  if (offset + 2 > data.length) throw new DerError(`element at ${offset} is cut short`);
  const tag = data[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${offset} is not supported`);

  let length = data[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3) throw new DerError(`length form at ${offset + 1} is not DER`);
    if (offset + 2 + count > data.length) throw new DerError(`length at ${offset} is cut short`);
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + data[offset + 2 + i]!;
    if (length < 0x80 || data[offset + 2]! === 0) {
      throw new DerError(`length at ${offset + 1} is not minimally encoded`);
    }
    header += count;
  }
  if (length > MAX_LENGTH || offset + header + length > data.length) {
    throw new DerError(`element at ${offset} declares ${length} bytes beyond the input`);
  }

  return {
    tag,
    bytes: data.subarray(offset, offset + header + length),
    content: data.subarray(offset + header, offset + header + length),
  };
}

/** Reads `data` as exactly one element with the expected tag. */
export function readSingle(data: Uint8Array, tag: number, name: string): Tlv {
  const tlv = readTlv(data, 0);
  if (tlv.tag !== tag) throw new DerError(`${name} has tag 0x${tlv.tag.toString(16)}`);
  if (tlv.bytes.length !== data.length) throw new DerError(`${name} has trailing bytes`);
  return tlv;
}

/** Reads the elements inside a constructed element's content. */
export function readChildren(content: Uint8Array): Tlv[] {
  const children: Tlv[] = [];
  let offset = 0;
  while (offset < content.length) {
    const child = readTlv(content, offset);
    children.push(child);
    offset += child.bytes.length;
  }
  return children;
}

/** The children of `tlv`, which must number at least `minimum`. */
export function expectChildren(tlv: Tlv, name: string, minimum: number): Tlv[] {
  const children = readChildren(tlv.content);
  if (children.length < minimum) {
    throw new DerError(`${name} has ${children.length} elements; at least ${minimum} expected`);
  }
  return children;
}

export function expectTag(tlv: Tlv | undefined, tag: number, name: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`${name} is missing or has the wrong type`);
  return tlv;
}

/** Dotted form of an OBJECT IDENTIFIER's content. */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i += 1) {
    const byte = content[i]!;
    // A leading 0x80 would let two encodings name the same arc.
    if (value === 0 && byte === 0x80) throw new DerError('OBJECT IDENTIFIER is not minimal');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128)
      throw new DerError('OBJECT IDENTIFIER arc too large');
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === content.length - 1) {
      throw new DerError('OBJECT IDENTIFIER is cut short');
    }
  }
  const first = arcs.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** Value of a non-negative INTEGER's content, as hex without leading zeros. */
export function decodeUnsignedHex(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty INTEGER');
  const hex = Buffer.from(content).toString('hex').replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

/** Value of a small non-negative INTEGER or ENUMERATED. */
export function decodeSmallInteger(content: Uint8Array): number {
  if (content.length === 0 || content.length > 4) throw new DerError('INTEGER out of range');
  if (content[0]! & 0x80) throw new DerError('negative INTEGER');
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  return value;
}

/** UTCTime or GeneralizedTime in the forms RFC 5280 requires (`Z`, whole seconds). */
export function decodeTime(tlv: Tlv): Date {
  const text = Buffer.from(tlv.content).toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === TAG.utcTime && (match = /^(\d{2})(\d{10})Z$/.exec(text))) {
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === TAG.generalizedTime && (match = /^(\d{4})(\d{10})Z$/.exec(text))) {
    year = Number(match[1]);
  } else {
    throw new DerError(`time "${text}" is not a DER UTCTime or GeneralizedTime`);
  }
  const rest = match[2]!;
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((i) =>
    Number(rest.slice(i, i + 2)),
  ) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59) {
    throw new DerError(`time "${text}" is not a valid date`);
  }
  return date;
}
