// DER encoding of the Intel SGX extension that a simulated PCK certificate carries. Its layout
// is Intel's "SGX PCK Certificate and CRL Profile": a SEQUENCE of { OID, value } entries under
// OID 1.2.840.113741.1.13.1.

const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';

const TAG = {
  integer: 0x02,
  octetString: 0x04,
  oid: 0x06,
  enumerated: 0x0a,
  sequence: 0x30,
} as const;

/** Platform values that the simulated PCK certificate vouches for. */
export interface SgxExtensionValues {
  readonly ppid: Buffer;
  /** The 16 SGX TCB component SVNs. */
  readonly sgxTcbComponents: readonly number[];
  readonly pceSvn: number;
  readonly cpuSvn: Buffer;
  /** 2 bytes. */
  readonly pceId: Buffer;
  /** 6 bytes. */
  readonly fmspc: Buffer;
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first! * 40 + second!];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift(value % 128);
      if (value < 128) break;
    }
    bytes.push(...groups.map((group, index) => (index < groups.length - 1 ? group | 0x80 : group)));
  }
  return tlv(TAG.oid, Buffer.from(bytes));
}

// Small non-negative integers; a leading zero byte keeps values of 128 and up positive.
function integer(tag: number, value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = value; ; rest = Math.floor(rest / 256)) {
    bytes.unshift(rest % 256);
    if (rest < 256) break;
  }
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
}

function entry(suffix: string, value: Buffer): Buffer {
  return tlv(TAG.sequence, Buffer.concat([oid(`${SGX_EXTENSION_OID}.${suffix}`), value]));
}

/** Returns the DER value of the SGX extension (what goes inside the extension's OCTET STRING). */
export function encodeSgxExtension(values: SgxExtensionValues): Buffer {
  const tcb = [
    ...values.sgxTcbComponents.map((svn, index) =>
      entry(`2.${index + 1}`, integer(TAG.integer, svn)),
    ),
    entry('2.17', integer(TAG.integer, values.pceSvn)),
    entry('2.18', tlv(TAG.octetString, values.cpuSvn)),
  ];
  return tlv(
    TAG.sequence,
    Buffer.concat([
      entry('1', tlv(TAG.octetString, values.ppid)),
      entry('2', tlv(TAG.sequence, Buffer.concat(tcb))),
      entry('3', tlv(TAG.octetString, values.pceId)),
      entry('4', tlv(TAG.octetString, values.fmspc)),
      // SGX type 0: Standard.
      entry('5', integer(TAG.enumerated, 0)),
    ]),
  );
}

export { SGX_EXTENSION_OID };
