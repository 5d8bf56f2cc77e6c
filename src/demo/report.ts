import type { PostureReport } from '../posture/types.js';
import type { DemoProfile, EvidenceResult, MatrixRow } from './matrix.js';
import type { KnownLimit, Verdict } from './verdict.js';

/** A demo server as the report describes it. */
export interface DemoServerSummary {
  readonly port: number;
  readonly version: string;
  readonly tmpDirOnRam: boolean;
  /** Outcome of the demo's attempt to load this server over plain TCP. */
  readonly wireNote?: string | undefined;
  /** Workload statements the server rejected by configuration, with the error code. */
  readonly rejected: readonly string[];
}

/** Everything a demo run found; written as report.json and rendered as report.html. */
export interface DemoReport {
  readonly tool: 'mariadb-tdx demo';
  readonly createdAt: string;
  readonly seconds: number;
  readonly rows: number;
  readonly seed: number;
  /** Number of distinct sensitive values searched for. */
  readonly valueCount: number;
  readonly redacted: boolean;
  readonly plainWire: boolean;
  /** Plain statements of what ran differently from a TDX host. */
  readonly simulated: readonly string[];
  readonly servers: Record<DemoProfile, DemoServerSummary>;
  readonly matrix: readonly MatrixRow[];
  readonly verdicts: readonly Verdict[];
  /** Places where the hardened server still showed plaintext that MariaDB never encrypts. */
  readonly knownLimits: readonly KnownLimit[];
  readonly checks: Record<DemoProfile, PostureReport>;
  readonly evidence: readonly EvidenceResult[];
  /** The kept working directory, when `keep` was set. */
  readonly workDir?: string | undefined;
}
