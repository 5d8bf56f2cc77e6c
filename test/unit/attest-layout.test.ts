import { describe, expect, it } from 'vitest';
import * as layout from '../../src/attest/abi/layout.js';

const TABLES: [string, layout.Layout, number][] = [
  ['QUOTE_HEADER', layout.QUOTE_HEADER, layout.QUOTE_HEADER_SIZE],
  ['BODY_DESCRIPTOR', layout.BODY_DESCRIPTOR, layout.BODY_DESCRIPTOR_SIZE],
  ['ENCLAVE_REPORT', layout.ENCLAVE_REPORT, layout.ENCLAVE_REPORT_SIZE],
  ['TD_REPORT_10', layout.TD_REPORT_10, layout.TD_REPORT_10_SIZE],
  ['TD_REPORT_15', layout.TD_REPORT_15, layout.TD_REPORT_15_SIZE],
  ['ECDSA_SIGNATURE_DATA', layout.ECDSA_SIGNATURE_DATA, layout.ECDSA_SIGNATURE_DATA_SIZE],
  [
    'CERTIFICATION_DATA_HEADER',
    layout.CERTIFICATION_DATA_HEADER,
    layout.CERTIFICATION_DATA_HEADER_SIZE,
  ],
  [
    'QE_REPORT_CERTIFICATION_DATA',
    layout.QE_REPORT_CERTIFICATION_DATA,
    layout.QE_REPORT_CERTIFICATION_DATA_SIZE,
  ],
];

describe('quote layout tables', () => {
  it.each(TABLES)('%s starts each field where the previous one ends', (_name, table) => {
    let expected = 0;
    for (const [field, spec] of Object.entries(table)) {
      expect(spec.offset, field).toBe(expected);
      expect(spec.size, field).toBeGreaterThan(0);
      expected = spec.offset + spec.size;
    }
  });

  it.each(TABLES)('%s adds up to its declared size', (_name, table, size) => {
    const fields = Object.values(table);
    const last = fields.at(-1)!;
    expect(last.offset + last.size).toBe(size);
  });

  it('puts TD report 1.0 fields at the offsets Intel documents', () => {
    expect(layout.TD_REPORT_10.mrTd.offset).toBe(136);
    expect(layout.TD_REPORT_10.reportData.offset).toBe(520);
    expect(layout.TD_REPORT_15.teeTcbSvn2.offset).toBe(584);
    expect(layout.TD_REPORT_15.mrServiceTd.offset).toBe(600);
  });

  it('makes REPORTDATA of a v4 quote start at byte 568', () => {
    expect(layout.QUOTE_HEADER_SIZE + layout.TD_REPORT_10.reportData.offset).toBe(568);
  });
});
