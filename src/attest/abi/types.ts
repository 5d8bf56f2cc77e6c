// Typed views of a parsed quote. Byte fields are views into the parser's private copy of the
// quote, so callers never see later changes to the buffer they passed in.

export type TeeName = 'SGX' | 'TDX';

/** Kind of body a quote carries. */
export type BodyKind = 'sgxEnclaveReport' | 'tdReport10' | 'tdReport15';

export interface QuoteHeader {
  readonly version: number;
  readonly attestationKeyType: number;
  readonly teeType: number;
  readonly tee: TeeName;
  /** QE and PCE SVNs of SGX quotes; reserved (zero) in TDX quotes. */
  readonly qeSvn: number;
  readonly pceSvn: number;
  readonly qeVendorId: Uint8Array;
  readonly userData: Uint8Array;
}

/** SGX enclave report: an SGX quote's body, and the QE report inside every quote. */
export interface EnclaveReport {
  /** The 384 bytes that the PCK key signs when this is a QE report. */
  readonly raw: Uint8Array;
  readonly cpuSvn: Uint8Array;
  readonly miscSelect: Uint8Array;
  readonly attributes: Uint8Array;
  readonly mrEnclave: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly reportData: Uint8Array;
}

/** TD report body 1.0, or 1.5 when `teeTcbSvn2` and `mrServiceTd` are present. */
export interface TdReport {
  readonly kind: 'tdReport10' | 'tdReport15';
  readonly teeTcbSvn: Uint8Array;
  readonly mrSeam: Uint8Array;
  readonly mrSignerSeam: Uint8Array;
  readonly seamAttributes: Uint8Array;
  readonly tdAttributes: Uint8Array;
  readonly xfam: Uint8Array;
  readonly mrTd: Uint8Array;
  readonly mrConfigId: Uint8Array;
  readonly mrOwner: Uint8Array;
  readonly mrOwnerConfig: Uint8Array;
  readonly rtmrs: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  readonly reportData: Uint8Array;
  readonly teeTcbSvn2?: Uint8Array;
  readonly mrServiceTd?: Uint8Array;
}

/** The PCK certificate chain carried in certification data type 5. */
export interface PckCertificateChain {
  /** The PEM text without trailing NUL bytes. */
  readonly pem: string;
  /** DER of each certificate, leaf first, in the order of the quote. */
  readonly certificates: readonly Uint8Array[];
}

/** ECDSA P-256 signature data and the QE certification data it carries. */
export interface SignatureData {
  /** Raw r‖s signature over the signed region, by the attestation key. */
  readonly signature: Uint8Array;
  /** Raw x‖y attestation public key. */
  readonly attestationKey: Uint8Array;
  /** Type of the outer certification data: 6 in v4/v5 quotes, 5 in v3 quotes. */
  readonly certificationDataType: number;
  readonly qeReport: EnclaveReport;
  /** Raw r‖s signature over the QE report, by the PCK leaf key. */
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  readonly pckCertificateChain: PckCertificateChain;
}

interface QuoteCommon {
  /** The parser's copy of the quote bytes, up to the end of the declared signature data. */
  readonly raw: Uint8Array;
  readonly header: QuoteHeader;
  /** Header, v5 body descriptor and body: the bytes the attestation key signs. */
  readonly signedRegion: Uint8Array;
  readonly signatureData: SignatureData;
  /** Absolute offsets of the body and of the signature data length. */
  readonly bodyOffset: number;
  readonly signatureDataOffset: number;
  /** Bytes after the declared signature data; Intel's parser ignores them, and so does this one. */
  readonly trailingLength: number;
  /** True when those bytes are all zero, the padding of a fixed-size quote buffer, or absent. */
  readonly trailingZero: boolean;
}

export interface TdxQuote extends QuoteCommon {
  readonly bodyKind: 'tdReport10' | 'tdReport15';
  readonly body: TdReport;
}

export interface SgxQuote extends QuoteCommon {
  readonly bodyKind: 'sgxEnclaveReport';
  readonly body: EnclaveReport;
}

export type Quote = TdxQuote | SgxQuote;

/** True when the quote carries a TD report. */
export function isTdxQuote(quote: Quote): quote is TdxQuote {
  return quote.bodyKind !== 'sgxEnclaveReport';
}
