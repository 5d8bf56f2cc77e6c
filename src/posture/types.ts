import type { HostProbe } from './host.js';
import type { ServerVersion } from './version.js';

/** Groups of the catalogue, in the order reports show them. */
export const CHECK_GROUPS = [
  'transport',
  'encryption at rest',
  'accounts',
  'logs and temporary files',
  'keys and memory',
  'general hardening',
] as const;

export type CheckGroup = (typeof CHECK_GROUPS)[number];

export type Severity = 'critical' | 'high' | 'medium' | 'low';

/** Outcome of one check. */
export type FindingStatus = 'pass' | 'fail' | 'warn' | 'not_applicable' | 'error';

export const FINDING_STATUSES: readonly FindingStatus[] = [
  'pass',
  'fail',
  'warn',
  'not_applicable',
  'error',
];

/**
 * Reference configuration that checks are judged against.
 *
 * - `hardened`: the configuration of `mariadb-tdx up`.
 * - `baseline`: the minimal configuration often published for TDX deployments (a key management
 *   plugin with a key file, the redo log and InnoDB temporary tables encrypted, tables created
 *   ENCRYPTED=YES). Checks outside it report `warn` instead of `fail`, so that what it leaves
 *   open stays visible without failing the run.
 */
export type PostureProfile = 'hardened' | 'baseline';

export const POSTURE_PROFILES: readonly PostureProfile[] = ['hardened', 'baseline'];

/** A row as the connector returns it. */
export type Row = Record<string, unknown>;

/** Facts about the server and the run that a check's rule receives. */
export interface CheckContext {
  readonly version: ServerVersion;
  readonly now: Date;
  /** File-system and swap probes of the server's host; undefined when the server is remote. */
  readonly host: HostProbe | undefined;
}

/** Result of a check's rule before the profile is applied. */
export interface Verdict {
  readonly status: Exclude<FindingStatus, 'error'>;
  readonly observed: string;
  /** Replaces the check's advice when the fix depends on what was observed. */
  readonly advice?: string;
  /** The reason for the verdict, when the observed value alone would mislead. */
  readonly note?: string;
}

/** Result of a check whose evidence could not be collected or judged. */
export interface ErrorVerdict {
  readonly status: 'error';
  readonly observed: string;
  readonly advice: string;
  readonly note?: string;
}

/**
 * Weaker evidence for a check, collected when the account lacks the privilege that the check's
 * own statement needs.
 */
export interface DeniedFallback {
  /** The privilege that the check's own statement needs, as GRANT spells it. */
  readonly privilege: string;
  readonly sql: string;
  readonly evaluate: (rows: readonly Row[], context: CheckContext) => Verdict | ErrorVerdict;
}

/** One check of the catalogue: data plus the rule that judges what the SQL returned. */
export interface PostureCheck {
  /** Stable identifier: a group letter and a number, for example `T01`. */
  readonly id: string;
  readonly group: CheckGroup;
  readonly title: string;
  readonly severity: Severity;
  /** The statement that collects the evidence; a function when it depends on the version. */
  readonly sql: string | ((version: ServerVersion) => string);
  /** The value a passing server shows, in the words of the statement's output. */
  readonly expected: string;
  /** The option or statement that fixes a failure. */
  readonly advice: string;
  /** The leak or breakage that follows when the rule fails. */
  readonly risk: string;
  /**
   * Reason this check reports `warn` rather than `fail`, set on checks whose right result
   * depends on the operator's policy.
   */
  readonly policy?: string;
  /** Whether the baseline profile covers this check (`required`) or leaves it open. */
  readonly baseline: 'required' | 'open';
  readonly evaluate: (rows: readonly Row[], context: CheckContext) => Verdict | Promise<Verdict>;
  /** Evidence to judge by instead of an error when the account may not run `sql`. */
  readonly whenDenied?: DeniedFallback;
}

/** The result of one check as reports show it. */
export interface Finding {
  readonly id: string;
  readonly group: CheckGroup;
  readonly title: string;
  readonly severity: Severity;
  readonly status: FindingStatus;
  readonly observed: string;
  readonly expected: string;
  readonly advice: string;
  /** The statement that was run, so the evidence can be collected again by hand. */
  readonly sql: string;
  /**
   * Reason for the status when the profile or a policy changed it, or when the account running
   * the check changed what could be observed.
   */
  readonly note?: string;
}

/** Everything one run of the catalogue found. */
export interface PostureReport {
  readonly target: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
  };
  readonly server: {
    readonly version: string;
    /** True when the server runs on this host, so file and swap probes were possible. */
    readonly local: boolean;
  };
  readonly profile: PostureProfile;
  /**
   * False when the server certificate was not verified (`--insecure`). A man-in-the-middle
   * could then have sent every result, so no finding can be trusted.
   */
  readonly verified: boolean;
  readonly checkedAt: string;
  readonly findings: readonly Finding[];
  readonly summary: Readonly<Record<FindingStatus, number>>;
  /** True when no finding failed or ended in error. */
  readonly passed: boolean;
}
