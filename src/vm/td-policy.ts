/**
 * TD attribute bits (TDATTRIBUTES in the TD report, libvirt `<policy>`, QEMU `attributes`), as
 * Intel's TDX module ABI defines them.
 */
export const TD_ATTRIBUTE_BITS = {
  debug: 0n,
  septVeDisable: 28n,
  pks: 30n,
  keyLocker: 31n,
  perfmon: 63n,
} as const;

/** A production TD: off-TD debug clear, EPT violations not converted to #VE (QEMU's default). */
export const PRODUCTION_TD_POLICY = 1n << TD_ATTRIBUTE_BITS.septVeDisable;

/** The named attribute bits of a TD policy. */
export interface TdAttributes {
  readonly value: string;
  /** Off-TD debug: the host can read and write the TD's private memory and registers. */
  readonly debug: boolean;
  readonly septVeDisable: boolean;
  readonly pks: boolean;
  readonly keyLocker: boolean;
  readonly perfmon: boolean;
}

/** Decodes a TD policy into its named bits. */
export function decodeTdAttributes(policy: bigint): TdAttributes {
  const bit = (index: bigint) => ((policy >> index) & 1n) === 1n;
  return {
    value: formatTdPolicy(policy),
    debug: bit(TD_ATTRIBUTE_BITS.debug),
    septVeDisable: bit(TD_ATTRIBUTE_BITS.septVeDisable),
    pks: bit(TD_ATTRIBUTE_BITS.pks),
    keyLocker: bit(TD_ATTRIBUTE_BITS.keyLocker),
    perfmon: bit(TD_ATTRIBUTE_BITS.perfmon),
  };
}

/** Formats a policy the way libvirt writes it: `0x` and lower-case hex. */
export function formatTdPolicy(policy: bigint): string {
  return `0x${policy.toString(16)}`;
}

/** Parses a libvirt `<policy>` value (hex with or without `0x`); undefined when malformed. */
export function parseTdPolicy(text: string): bigint | undefined {
  const trimmed = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,16}$/i.test(trimmed)) return undefined;
  return BigInt(`0x${trimmed}`);
}
