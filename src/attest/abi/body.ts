import { ENCLAVE_REPORT, ENCLAVE_REPORT_SIZE, TD_REPORT_15 } from './layout.js';
import type { QuoteReader } from './reader.js';
import type { EnclaveReport, TdReport } from './types.js';

/** Reads an SGX enclave report at `base`; `name` prefixes field names in errors. */
export function parseEnclaveReport(reader: QuoteReader, base: number, name: string): EnclaveReport {
  const read = (field: keyof typeof ENCLAVE_REPORT) =>
    reader.field(base, ENCLAVE_REPORT[field], `${name}.${field}`);

  return {
    raw: reader.bytesAt(base, ENCLAVE_REPORT_SIZE, name),
    cpuSvn: read('cpuSvn'),
    miscSelect: read('miscSelect'),
    attributes: read('attributes'),
    mrEnclave: read('mrEnclave'),
    mrSigner: read('mrSigner'),
    isvProdId: reader.u16(base + ENCLAVE_REPORT.isvProdId.offset, `${name}.isvProdId`),
    isvSvn: reader.u16(base + ENCLAVE_REPORT.isvSvn.offset, `${name}.isvSvn`),
    reportData: read('reportData'),
  };
}

/** Reads a TD report body 1.0 or 1.5 at `base`. */
export function parseTdReport(
  reader: QuoteReader,
  base: number,
  kind: 'tdReport10' | 'tdReport15',
): TdReport {
  // The 1.0 layout is a prefix of the 1.5 layout, so one table serves both.
  const read = (field: keyof typeof TD_REPORT_15) =>
    reader.field(base, TD_REPORT_15[field], `body.${field}`);

  const report: TdReport = {
    kind,
    teeTcbSvn: read('teeTcbSvn'),
    mrSeam: read('mrSeam'),
    mrSignerSeam: read('mrSignerSeam'),
    seamAttributes: read('seamAttributes'),
    tdAttributes: read('tdAttributes'),
    xfam: read('xfam'),
    mrTd: read('mrTd'),
    mrConfigId: read('mrConfigId'),
    mrOwner: read('mrOwner'),
    mrOwnerConfig: read('mrOwnerConfig'),
    rtmrs: [read('rtmr0'), read('rtmr1'), read('rtmr2'), read('rtmr3')],
    reportData: read('reportData'),
  };
  if (kind === 'tdReport10') return report;
  return { ...report, teeTcbSvn2: read('teeTcbSvn2'), mrServiceTd: read('mrServiceTd') };
}
