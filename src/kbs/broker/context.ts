import type { Logger } from 'pino';
import type { KeyStore } from '../store/key-store.js';
import type { QuoteAppraiser } from './appraisal.js';
import type { AuditSink } from './logging.js';
import type { SessionLimits, SessionTable } from './sessions.js';
import type { TokenIssuer } from './tokens.js';

/** Request size limits of the broker, in bytes. */
export interface BodyLimits {
  /** `auth` bodies are a few dozen bytes. */
  readonly authBytes: number;
  /** `attest` bodies carry a quote (about 5 to 8 KB, base64) and optionally a CCEL event log. */
  readonly attestBytes: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { authBytes: 4 * 1024, attestBytes: 256 * 1024 };

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  nonceTtlMs: 60_000,
  attestedTtlMs: 300_000,
  maxSessions: 10_000,
};

/** Largest quote accepted; real TDX quotes are 4,936 to 8,000 bytes. */
export const MAX_QUOTE_BYTES = 16 * 1024;

/** Everything a request handler of the broker uses. */
export interface BrokerContext {
  readonly store: KeyStore;
  readonly appraiser: QuoteAppraiser;
  readonly sessions: SessionTable;
  readonly tokens: TokenIssuer;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly limits: SessionLimits;
  readonly bodyLimits: BodyLimits;
}
