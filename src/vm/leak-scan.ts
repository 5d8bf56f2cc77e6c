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
