import { describeTdAttributes, type TdAttributesSummary } from './td-attributes.js';
import type { EnclaveReport, Quote, TdReport } from './types.js';

/** Lower-case hex of a byte field. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A TD report body with every byte field as lower-case hex in quote byte order. */
export interface TdReportSummary {
  readonly kind: TdReport['kind'];
  readonly teeTcbSvn: string;
  readonly mrSeam: string;
  readonly mrSignerSeam: string;
  readonly seamAttributes: string;
  readonly tdAttributes: string;
  readonly tdAttributeFlags: TdAttributesSummary;
  readonly xfam: string;
  readonly mrTd: string;
  readonly mrConfigId: string;
  readonly mrOwner: string;
  readonly mrOwnerConfig: string;
  readonly rtmr0: string;
  readonly rtmr1: string;
  readonly rtmr2: string;
  readonly rtmr3: string;
  readonly reportData: string;
  readonly teeTcbSvn2?: string;
  readonly mrServiceTd?: string;
}

export interface EnclaveReportSummary {
  readonly cpuSvn: string;
  readonly miscSelect: string;
  readonly attributes: string;
  readonly mrEnclave: string;
  readonly mrSigner: string;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly reportData: string;
}

/** Every parsed field of a quote in JSON-friendly form. */
export interface QuoteSummary {
  readonly version: number;
  readonly tee: Quote['header']['tee'];
  readonly bodyKind: Quote['bodyKind'];
  readonly size: number;
  readonly trailingLength: number;
  readonly header: {
    readonly attestationKeyType: number;
    readonly teeType: string;
    readonly qeSvn: number;
    readonly pceSvn: number;
    readonly qeVendorId: string;
    readonly userData: string;
  };
  readonly body: TdReportSummary | EnclaveReportSummary;
  readonly attestationKey: string;
  readonly qeReport: EnclaveReportSummary;
  readonly qeAuthData: string;
  readonly certificationDataType: number;
  readonly pckCertificateCount: number;
}

export function summarizeQuote(quote: Quote): QuoteSummary {
  const { header, signatureData } = quote;
  return {
    version: header.version,
    tee: header.tee,
    bodyKind: quote.bodyKind,
    size: quote.raw.length + quote.trailingLength,
    trailingLength: quote.trailingLength,
    header: {
      attestationKeyType: header.attestationKeyType,
      teeType: `0x${header.teeType.toString(16).padStart(8, '0')}`,
      qeSvn: header.qeSvn,
      pceSvn: header.pceSvn,
      qeVendorId: toHex(header.qeVendorId),
      userData: toHex(header.userData),
    },
    body:
      quote.bodyKind === 'sgxEnclaveReport'
        ? summarizeEnclaveReport(quote.body)
        : summarizeTdReport(quote.body),
    attestationKey: toHex(signatureData.attestationKey),
    qeReport: summarizeEnclaveReport(signatureData.qeReport),
    qeAuthData: toHex(signatureData.qeAuthData),
    certificationDataType: signatureData.certificationDataType,
    pckCertificateCount: signatureData.pckCertificateChain.certificates.length,
  };
}

export function summarizeTdReport(body: TdReport): TdReportSummary {
  const summary: TdReportSummary = {
    kind: body.kind,
    teeTcbSvn: toHex(body.teeTcbSvn),
    mrSeam: toHex(body.mrSeam),
    mrSignerSeam: toHex(body.mrSignerSeam),
    seamAttributes: toHex(body.seamAttributes),
    tdAttributes: toHex(body.tdAttributes),
    tdAttributeFlags: describeTdAttributes(body.tdAttributes),
    xfam: toHex(body.xfam),
    mrTd: toHex(body.mrTd),
    mrConfigId: toHex(body.mrConfigId),
    mrOwner: toHex(body.mrOwner),
    mrOwnerConfig: toHex(body.mrOwnerConfig),
    rtmr0: toHex(body.rtmrs[0]),
    rtmr1: toHex(body.rtmrs[1]),
    rtmr2: toHex(body.rtmrs[2]),
    rtmr3: toHex(body.rtmrs[3]),
    reportData: toHex(body.reportData),
  };
  if (!body.teeTcbSvn2 || !body.mrServiceTd) return summary;
  return { ...summary, teeTcbSvn2: toHex(body.teeTcbSvn2), mrServiceTd: toHex(body.mrServiceTd) };
}

export function summarizeEnclaveReport(report: EnclaveReport): EnclaveReportSummary {
  return {
    cpuSvn: toHex(report.cpuSvn),
    miscSelect: toHex(report.miscSelect),
    attributes: toHex(report.attributes),
    mrEnclave: toHex(report.mrEnclave),
    mrSigner: toHex(report.mrSigner),
    isvProdId: report.isvProdId,
    isvSvn: report.isvSvn,
    reportData: toHex(report.reportData),
  };
}
