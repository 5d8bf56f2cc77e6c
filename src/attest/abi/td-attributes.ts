// TDATTRIBUTES bits (Intel TDX Module ABI specification, "TDATTRIBUTES"). The field is a
// little-endian u64 in the quote; bit n is bit (n % 8) of byte (n / 8).

export const TD_ATTRIBUTE_BITS = {
  /** The TD runs in debug mode: the host can read and change its memory and registers. */
  DEBUG: 0,
  /** EPT violations cannot be turned into #VE in the TD, which closes a class of host attacks. */
  SEPT_VE_DISABLE: 28,
  /** Protection keys for supervisor pages. */
  PKS: 30,
  /** Key Locker. */
  KL: 31,
  /** The TD may use the performance monitoring unit. */
  PERFMON: 63,
} as const;

export type TdAttributeName = keyof typeof TD_ATTRIBUTE_BITS;

export const TD_ATTRIBUTE_NAMES = Object.keys(TD_ATTRIBUTE_BITS) as TdAttributeName[];

/** Bits with no defined meaning; a TD should have none of them set. */
export const TD_ATTRIBUTES_RESERVED_MASK = (() => {
  let mask = (1n << 64n) - 1n;
  for (const bit of Object.values(TD_ATTRIBUTE_BITS)) mask &= ~(1n << BigInt(bit));
  return mask;
})();

/** Reads an 8-byte field as a little-endian u64. */
export function readU64(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i -= 1) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

export function hasTdAttribute(tdAttributes: Uint8Array, name: TdAttributeName): boolean {
  const bit = TD_ATTRIBUTE_BITS[name];
  return ((tdAttributes[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0;
}

/** Decoded TDATTRIBUTES: the named bits that are set and any reserved bits that are set. */
export interface TdAttributesSummary {
  readonly set: TdAttributeName[];
  readonly reservedBits: number[];
}

export function describeTdAttributes(tdAttributes: Uint8Array): TdAttributesSummary {
  const set = TD_ATTRIBUTE_NAMES.filter((name) => hasTdAttribute(tdAttributes, name));
  const value = readU64(tdAttributes);
  const reservedBits: number[] = [];
  for (let bit = 0; bit < 64; bit += 1) {
    if ((TD_ATTRIBUTES_RESERVED_MASK >> BigInt(bit)) & 1n && (value >> BigInt(bit)) & 1n) {
      reservedBits.push(bit);
    }
  }
  return { set, reservedBits };
}
