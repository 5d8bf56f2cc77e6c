import { CollateralError } from '../errors.js';
import { createCollateral, type Collateral, type CollateralInput } from '../verify/collateral.js';

/**
 * Keys of the collateral bundle JSON used by dcap-qvl and the test fixtures: the signed inner
 * objects as strings, signatures and CRLs as hex strings or byte arrays, issuer chains as PEM.
 */
export const BUNDLE_KEYS = [
  'tcb_info',
  'tcb_info_signature',
  'tcb_info_issuer_chain',
  'qe_identity',
  'qe_identity_signature',
  'qe_identity_issuer_chain',
  'root_ca_crl',
  'pck_crl',
  'pck_crl_issuer_chain',
  'pck_certificate_chain',
] as const;

type BundleKey = (typeof BUNDLE_KEYS)[number];
export type CollateralBundle = Partial<Record<BundleKey, string | number[] | null>> & {
  /** Source and time of a bundle that `quote collateral fetch` stored. */
  mariadb_tdx?: CacheMetadata;
};

export interface CacheMetadata {
  readonly fetchedAt: string;
  readonly pccsUrl: string;
  readonly tee: 'tdx' | 'sgx';
  readonly fmspc: string;
  readonly ca: 'platform' | 'processor';
}

/** True when a parsed JSON object looks like a collateral bundle. */
export function isBundle(value: Record<string, unknown>): boolean {
  return BUNDLE_KEYS.some((key) => key in value);
}

/** Reads a collateral bundle; keys it does not know are ignored. */
export function collateralFromBundle(value: Record<string, unknown>, source: string): Collateral {
  const text = (key: BundleKey) => optionalString(value, key, source);
  const bytes = (key: BundleKey) => optionalBytes(value, key, source);
  const signed = (body: BundleKey, signature: BundleKey) => {
    const inner = text(body);
    if (inner === undefined) return [];
    const raw = bytes(signature);
    if (!raw) throw invalid(source, `has ${body} but no ${signature}`);
    return [{ text: inner, signature: raw }];
  };

  const input: CollateralInput = {
    source,
    tcbInfos: signed('tcb_info', 'tcb_info_signature'),
    qeIdentities: signed('qe_identity', 'qe_identity_signature'),
    crls: [bytes('root_ca_crl'), bytes('pck_crl')].filter((crl) => crl !== undefined),
    certificates: [
      text('tcb_info_issuer_chain'),
      text('qe_identity_issuer_chain'),
      text('pck_crl_issuer_chain'),
    ].filter((chain): chain is string => chain !== undefined && chain.trim() !== ''),
  };
  return createCollateral(input);
}

function optionalString(value: Record<string, unknown>, key: string, source: string) {
  const item = value[key];
  if (item === undefined || item === null) return undefined;
  if (typeof item !== 'string') throw invalid(source, `${key} must be a string`);
  return item;
}

/** Reads bytes written as a hex string or as an array of byte values. */
function optionalBytes(value: Record<string, unknown>, key: string, source: string) {
  const item = value[key];
  if (item === undefined || item === null) return undefined;
  if (typeof item === 'string') {
    if (item.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(item)) {
      throw invalid(source, `${key} must be hex digits`);
    }
    return new Uint8Array(Buffer.from(item, 'hex'));
  }
  if (
    Array.isArray(item) &&
    item.every((byte) => Number.isInteger(byte) && byte >= 0 && byte < 256)
  ) {
    return new Uint8Array(item as number[]);
  }
  throw invalid(source, `${key} must be a hex string or an array of bytes`);
}

function invalid(source: string, reason: string): CollateralError {
  return new CollateralError('COLLATERAL_INVALID', `collateral bundle ${source} ${reason}`, {
    source,
  });
}
