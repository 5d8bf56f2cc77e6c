import type { Logger } from 'pino';
import type { KeyStore } from '../store/key-store.js';
import type { QuoteAppraiser } from './appraisal.js';
import type { AuditSink } from './logging.js';
import type { RateLimiter, RateLimits } from './rate-limit.js';
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
  // One agent needs one pending session; this leaves room for many TDs behind one address.
  maxPendingPerClient: 256,
};

/**
 * Sessions a client may open: a burst of 400, then 100 a second. A TD needs one per
 * attestation; the burst covers a host starting hundreds of TDs at once.
 */
export const DEFAULT_AUTH_RATE: RateLimits = { burst: 400, perSecond: 100 };

/** Largest quote accepted; real TDX quotes are 4,936 to 8,000 bytes. */
export const MAX_QUOTE_BYTES = 16 * 1024;

/** Everything a request handler of the broker uses. */
export interface BrokerContext {
  readonly store: KeyStore;
  readonly appraiser: QuoteAppraiser;
  readonly sessions: SessionTable;
  /** Rate of `auth` requests per client. */
  readonly authRate: RateLimiter;
  readonly tokens: TokenIssuer;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly limits: SessionLimits;
  readonly bodyLimits: BodyLimits;
}
