import {
  DerError,
  TAG,
  decodeOid,
  decodeSmallInteger,
  expectTag,
  readChildren,
  readSingle,
  type Tlv,
} from './der.js';

/** Intel SGX extension of PCK certificates (Intel "SGX PCK Certificate and CRL Profile"). */
export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';

/** Platform facts that Intel's PCK certificate vouches for. */
export interface PckExtension {
  readonly ppid: Uint8Array;
  /** The 16 SGX TCB component SVNs. */
  readonly sgxTcbComponents: readonly number[];
  readonly pceSvn: number;
  readonly cpuSvn: Uint8Array;
  readonly pceId: Uint8Array;
  readonly fmspc: Uint8Array;
  /** 0 Standard, 1 Scalable, 2 Scalable with integrity (platform CA certificates only). */
  readonly sgxType: number;
  readonly platformInstanceId?: Uint8Array;
  readonly dynamicPlatform?: boolean;
  readonly cachedKeys?: boolean;
  readonly smtEnabled?: boolean;
}

const ID = {
  ppid: `${SGX_EXTENSION_OID}.1`,
  tcb: `${SGX_EXTENSION_OID}.2`,
  pceId: `${SGX_EXTENSION_OID}.3`,
  fmspc: `${SGX_EXTENSION_OID}.4`,
  sgxType: `${SGX_EXTENSION_OID}.5`,
  platformInstanceId: `${SGX_EXTENSION_OID}.6`,
  configuration: `${SGX_EXTENSION_OID}.7`,
} as const;

/** Parses the extension value; throws DerError when a required entry is missing or malformed. */
export function parsePckExtension(value: Uint8Array): PckExtension {
  const entries = readEntries(readSingle(value, TAG.sequence, 'SGX extension'));
  const octets = (oid: string, size: number, name: string) => {
    const tlv = expectTag(entries.get(oid), TAG.octetString, name);
    if (tlv.content.length !== size) throw new DerError(`${name} must be ${size} bytes`);
    return tlv.content;
  };

  const tcb = readTcb(expectTag(entries.get(ID.tcb), TAG.sequence, 'TCB'));
  const configuration = entries.get(ID.configuration);
  return {
    ppid: octets(ID.ppid, 16, 'PPID'),
    ...tcb,
    pceId: octets(ID.pceId, 2, 'PCE-ID'),
    fmspc: octets(ID.fmspc, 6, 'FMSPC'),
    sgxType: decodeSmallInteger(
      expectTag(entries.get(ID.sgxType), TAG.enumerated, 'SGX Type').content,
    ),
    ...(entries.has(ID.platformInstanceId)
      ? { platformInstanceId: octets(ID.platformInstanceId, 16, 'PlatformInstanceID') }
      : {}),
    ...(configuration
      ? readConfiguration(expectTag(configuration, TAG.sequence, 'Configuration'))
      : {}),
  };
}

/** Reads a SEQUENCE of SEQUENCE { OID, value } into a map; duplicate OIDs are malformed. */
function readEntries(list: Tlv): Map<string, Tlv> {
  const entries = new Map<string, Tlv>();
  for (const entry of readChildren(list.content)) {
    const parts = readChildren(expectTag(entry, TAG.sequence, 'SGX extension entry').content);
    if (parts.length !== 2) throw new DerError('SGX extension entry must hold an OID and a value');
    const oid = decodeOid(expectTag(parts[0], TAG.oid, 'SGX extension entry OID').content);
    if (entries.has(oid)) throw new DerError(`SGX extension entry ${oid} appears twice`);
    entries.set(oid, parts[1]!);
  }
  return entries;
}

function readTcb(tlv: Tlv) {
  const entries = readEntries(tlv);
  const sgxTcbComponents: number[] = [];
  for (let i = 1; i <= 16; i += 1) {
    const component = expectTag(entries.get(`${ID.tcb}.${i}`), TAG.integer, `TCB component ${i}`);
    sgxTcbComponents.push(decodeSmallInteger(component.content));
  }
  const pceSvn = decodeSmallInteger(
    expectTag(entries.get(`${ID.tcb}.17`), TAG.integer, 'PCESVN').content,
  );
  const cpuSvn = expectTag(entries.get(`${ID.tcb}.18`), TAG.octetString, 'CPUSVN').content;
  if (cpuSvn.length !== 16) throw new DerError('CPUSVN must be 16 bytes');
  return { sgxTcbComponents, pceSvn, cpuSvn };
}

function readConfiguration(tlv: Tlv) {
  const entries = readEntries(tlv);
  const flag = (suffix: number) => {
    const value = entries.get(`${ID.configuration}.${suffix}`);
    if (!value) return undefined;
    const content = expectTag(value, TAG.boolean, 'Configuration flag').content;
    if (content.length !== 1 || (content[0] !== 0 && content[0] !== 0xff)) {
      throw new DerError('Configuration flag is not a DER BOOLEAN');
    }
    return content[0] === 0xff;
  };
  return { dynamicPlatform: flag(1), cachedKeys: flag(2), smtEnabled: flag(3) };
}
