// Byte layouts of Intel DCAP quotes (SGX v3, TDX v4 and v5), as defined in Intel's "TDX DCAP
// Quoting Library API" and "SGX ECDSA Quote Library API" documents. Offsets are relative to the
// start of each structure; all integers are little-endian. A unit test checks that every table
// is contiguous and adds up to its declared size.

/** One field of a fixed layout. */
export interface FieldSpec {
  readonly offset: number;
  readonly size: number;
}

export type Layout = Readonly<Record<string, FieldSpec>>;

/** Quote header, 48 bytes, common to every version. */
export const QUOTE_HEADER = {
  version: { offset: 0, size: 2 },
  attestationKeyType: { offset: 2, size: 2 },
  teeType: { offset: 4, size: 4 },
  // SGX quotes carry the QE SVN and PCE SVN here; TDX quotes leave both bytes pairs reserved.
  qeSvn: { offset: 8, size: 2 },
  pceSvn: { offset: 10, size: 2 },
  qeVendorId: { offset: 12, size: 16 },
  userData: { offset: 28, size: 20 },
} as const satisfies Layout;
export const QUOTE_HEADER_SIZE = 48;

/** Body descriptor of a v5 quote, between the header and the body. */
export const BODY_DESCRIPTOR = {
  bodyType: { offset: 0, size: 2 },
  bodySize: { offset: 2, size: 4 },
} as const satisfies Layout;
export const BODY_DESCRIPTOR_SIZE = 6;

/** SGX enclave report: the body of an SGX quote and the QE report of every quote. */
export const ENCLAVE_REPORT = {
  cpuSvn: { offset: 0, size: 16 },
  miscSelect: { offset: 16, size: 4 },
  reserved1: { offset: 20, size: 28 },
  attributes: { offset: 48, size: 16 },
  mrEnclave: { offset: 64, size: 32 },
  reserved2: { offset: 96, size: 32 },
  mrSigner: { offset: 128, size: 32 },
  reserved3: { offset: 160, size: 96 },
  isvProdId: { offset: 256, size: 2 },
  isvSvn: { offset: 258, size: 2 },
  reserved4: { offset: 260, size: 60 },
  reportData: { offset: 320, size: 64 },
} as const satisfies Layout;
export const ENCLAVE_REPORT_SIZE = 384;

/** TD report body 1.0 (TDX module 1.0 and later). */
export const TD_REPORT_10 = {
  teeTcbSvn: { offset: 0, size: 16 },
  mrSeam: { offset: 16, size: 48 },
  mrSignerSeam: { offset: 64, size: 48 },
  seamAttributes: { offset: 112, size: 8 },
  tdAttributes: { offset: 120, size: 8 },
  xfam: { offset: 128, size: 8 },
  mrTd: { offset: 136, size: 48 },
  mrConfigId: { offset: 184, size: 48 },
  mrOwner: { offset: 232, size: 48 },
  mrOwnerConfig: { offset: 280, size: 48 },
  rtmr0: { offset: 328, size: 48 },
  rtmr1: { offset: 376, size: 48 },
  rtmr2: { offset: 424, size: 48 },
  rtmr3: { offset: 472, size: 48 },
  reportData: { offset: 520, size: 64 },
} as const satisfies Layout;
export const TD_REPORT_10_SIZE = 584;

/** TD report body 1.5: the 1.0 body followed by two fields (v5 quotes, body type 3). */
export const TD_REPORT_15 = {
  ...TD_REPORT_10,
  // SVNs of the TDX module running now, after a TD-preserving module update.
  teeTcbSvn2: { offset: 584, size: 16 },
  mrServiceTd: { offset: 600, size: 48 },
} as const satisfies Layout;
export const TD_REPORT_15_SIZE = 648;

/** Fixed start of the ECDSA P-256 signature data, after its u32 length. */
export const ECDSA_SIGNATURE_DATA = {
  signature: { offset: 0, size: 64 },
  attestationKey: { offset: 64, size: 64 },
} as const satisfies Layout;
export const ECDSA_SIGNATURE_DATA_SIZE = 128;

/** Header of a certification data block; `size` bytes of data follow it. */
export const CERTIFICATION_DATA_HEADER = {
  type: { offset: 0, size: 2 },
  size: { offset: 2, size: 4 },
} as const satisfies Layout;
export const CERTIFICATION_DATA_HEADER_SIZE = 6;

/** Fixed start of QE report certification data (type 6); the QE authentication data follows. */
export const QE_REPORT_CERTIFICATION_DATA = {
  qeReport: { offset: 0, size: ENCLAVE_REPORT_SIZE },
  qeReportSignature: { offset: 384, size: 64 },
} as const satisfies Layout;
export const QE_REPORT_CERTIFICATION_DATA_SIZE = 448;

/** Length prefix of the QE authentication data. */
export const QE_AUTH_DATA_SIZE_FIELD: FieldSpec = { offset: 0, size: 2 };

/** Length prefix of the signature data, right after the body. */
export const SIGNATURE_DATA_LENGTH_FIELD: FieldSpec = { offset: 0, size: 4 };

/** Header values that the parser recognises. */
export const QUOTE_VERSION = { sgx: 3, tdx10: 4, tdx15: 5 } as const;
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
export const TEE_TYPE = { sgx: 0x00000000, tdx: 0x00000081 } as const;
/** Body types of a v5 body descriptor. */
export const BODY_TYPE = { sgxEnclaveReport: 1, tdReport10: 2, tdReport15: 3 } as const;

/** Certification data types (Intel DCAP "PCK Cert ID type"). */
export const CERTIFICATION_DATA_TYPE = {
  ppidCleartext: 1,
  ppidRsa2048: 2,
  ppidRsa3072: 3,
  pckLeafCertificate: 4,
  pckCertificateChain: 5,
  qeReportCertificationData: 6,
  platformManifest: 7,
} as const;

/** QE vendor ID of Intel's quoting enclaves. */
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';
