/** Where a quote comes from. */
export type EvidenceKind = 'tdx' | 'simulated';

/** Produces TD quotes whose REPORTDATA is the given 64 bytes. */
export interface EvidenceProvider {
  readonly kind: EvidenceKind;
  /** A short description for output, such as the configfs-tsm path or "SIMULATED TD". */
  readonly description: string;
  quote(reportData: Buffer): Promise<Buffer>;
}
