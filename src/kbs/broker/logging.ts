import { pino, type DestinationStream, type Logger } from 'pino';
import type { TdClaims } from './appraisal.js';

/** One audit record: a decision of the broker and the public facts behind it. */
export interface AuditEvent {
  readonly event: 'auth' | 'attest' | 'resource' | 'request';
  readonly decision: 'challenge issued' | 'accepted' | 'rejected' | 'released' | 'refused';
  /** Client address as the TCP connection shows it. */
  readonly client: string | undefined;
  /** Public fingerprint of the session, never the session id. */
  readonly session?: string | undefined;
  readonly code?: string | undefined;
  readonly reasons?: readonly string[] | undefined;
  readonly td?: TdClaims | undefined;
  readonly tcbStatus?: string | undefined;
  readonly simulated?: boolean | undefined;
  readonly keyset?: string | undefined;
  readonly keys?: readonly { readonly id: number; readonly versions: readonly number[] }[];
  /** For folded `auth` events: how many more like the first one came since `since`. */
  readonly repeated?: number | undefined;
  readonly since?: string | undefined;
}

/** Receives audit events. */
export type AuditSink = (event: AuditEvent) => void;

// Defence in depth: these fields never carry secrets in this code, and pino removes them from
// any object that reaches a log line by mistake.
const REDACTED_PATHS = [
  'nonce',
  'token',
  'key',
  'cookie',
  'authorization',
  '*.nonce',
  '*.token',
  '*.key',
  '*.cookie',
  '*.authorization',
  'headers',
  '*.headers',
];

/**
 * Creates a service logger: JSON lines with ISO times, named after the program (the broker's
 * `mariadb-tdx-kbs`, the agent's `mariadb-tdx-agent`). HTTP lines carry method, route, status
 * and duration only.
 */
export function createServiceLogger(
  destination: DestinationStream | undefined,
  level = 'info',
  name = 'mariadb-tdx-kbs',
): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination(2),
  );
}

/** An audit log appended synchronously, so a decision is on disk before its reply leaves. */
export interface AuditLog {
  readonly sink: AuditSink;
  readonly close: () => void;
}

/** Opens the audit log at `path` (created with mode 0600 when missing). */
export function openAuditLog(path: string): AuditLog {
  const destination = pino.destination({ dest: path, sync: true, mkdir: false, mode: 0o600 });
  const logger = pino(
    {
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
  return {
    sink: (event) => logger.info(event),
    close: () => destination.flushSync(),
  };
}
