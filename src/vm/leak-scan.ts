import { VmError } from './errors.js';

/** One hit of a planted value in a dump. */
export interface ScannedHit {
  /** Index of the value in the list given to the scanner. */
  readonly valueIndex: number;
  readonly encoding: string;
  /** Guest-physical address, for ELF dumps written without paging. */
  readonly physicalAddress?: bigint | undefined;
}

/** Hits a scanner found in one dump. */
export interface DumpScanResult {
  /** The first hits of each value. */
  readonly hits: readonly ScannedHit[];
  /** Hits per value, in the order of the values given to the scanner. */
  readonly hitCounts: readonly number[];
  readonly seconds: number;
}

/** Searches a dump for values; each label names the column a value came from and is not secret. */
export type DumpScanner = (
  file: string,
  values: readonly { value: string; label: string }[],
) => Promise<DumpScanResult>;

/**
 * Scans a dump with the leak scanner and keeps what leak-test needs: the first hits of each
 * value with their guest-physical addresses, and the hit counts. Values and context stay out
 * of the result because they are secrets.
 */
export async function scanDump(
  file: string,
  values: readonly { value: string; label: string }[],
): Promise<DumpScanResult> {
  const { scan } = await import('../scan/scan.js');
  const report = await scan({
    sources: [file],
    values: values.map(({ value, label }) => ({ value, label, type: 'text' as const })),
    redact: true,
    maxOffsets: 5,
    contextLines: 0,
  });
  const reason = report.problems[0]?.message ?? report.skipped[0]?.reason;
  if (reason !== undefined || !report.summary.complete) {
    throw new VmError(
      'DUMP_FAILED',
      `the scan of ${file} is incomplete: ${reason ?? 'not every byte was read'}`,
      { hint: 'the dump may be truncated; dump the VM again' },
    );
  }

  const hitCounts = values.map(() => 0);
  const hits: ScannedHit[] = [];
  for (const result of report.values) {
    hitCounts[result.index] = result.hits;
    for (const location of result.first) {
      hits.push({
        valueIndex: result.index,
        encoding: location.encoding,
        physicalAddress:
          location.addressSpace === 'physical' && location.address
            ? BigInt(location.address)
            : undefined,
      });
    }
  }
  return { hits, hitCounts, seconds: report.summary.seconds };
}
