import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BrokerError } from '../errors.js';
import type { TeePublicKey } from '../protocol.js';

/** Size of a nonce and of a session id in bytes (trustee uses 32-byte nonces too). */
const SECRET_BYTES = 32;

/** What the broker remembers about a session that passed attestation. */
export interface AttestedState {
  readonly teePubkey: TeePublicKey;
  /** Public claims about the TD, for the audit log. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly expiresAt: number;
}

/** One session: created by `auth`, used once by `attest`, then used for resource requests. */
export interface Session {
  /** Short public fingerprint of the session id, for logs; the id itself is never stored. */
  readonly label: string;
  readonly nonce: string;
  readonly nonceExpiresAt: number;
  nonceUsed: boolean;
  attested: AttestedState | undefined;
}

/** Limits of the session table. */
export interface SessionLimits {
  /** How long a nonce may be answered. */
  readonly nonceTtlMs: number;
  /** How long an attested session (and its token) may fetch resources. */
  readonly attestedTtlMs: number;
  /** Sessions kept at once; more `auth` requests are refused until old ones expire. */
  readonly maxSessions: number;
}

/**
 * Sessions in memory, indexed by SHA-256 of the session id. Hashing first means a lookup never
 * compares a client-chosen string against a stored secret byte by byte, and a memory dump of
 * the broker shows no usable session id.
 */
export class SessionTable {
  private readonly sessions = new Map<string, Session & { readonly idHash: Buffer }>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a session with a fresh nonce; returns the session id for the cookie. */
  create(): { id: string; session: Session } {
    this.sweep();
    if (this.sessions.size >= this.limits.maxSessions) {
      throw new BrokerError(
        'SESSIONS_EXHAUSTED',
        `the broker holds ${this.sessions.size} open sessions, its maximum`,
        { hint: 'retry after the nonce lifetime; open sessions expire on their own' },
      );
    }

    const id = randomBytes(SECRET_BYTES).toString('base64url');
    const idHash = hashId(id);
    const session = {
      idHash,
      label: idHash.subarray(0, 6).toString('hex'),
      nonce: randomBytes(SECRET_BYTES).toString('base64'),
      nonceExpiresAt: this.now() + this.limits.nonceTtlMs,
      nonceUsed: false,
      attested: undefined,
    };
    this.sessions.set(idHash.toString('hex'), session);
    return { id, session };
  }

  /** Finds the session of a cookie value; undefined when unknown or fully expired. */
  find(id: string): Session | undefined {
    if (id.length === 0 || id.length > 128) return undefined;
    const idHash = hashId(id);
    const session = this.sessions.get(idHash.toString('hex'));
    if (!session || !timingSafeEqual(session.idHash, idHash)) return undefined;
    if (this.now() > this.retainUntil(session)) {
      this.sessions.delete(idHash.toString('hex'));
      return undefined;
    }
    return session;
  }

  /**
   * Uses the session's nonce for one attestation. The nonce is spent by the first attempt,
   * whatever its outcome, so a captured attestation can never be replayed.
   */
  spendNonce(session: Session, presented: string) {
    if (session.nonceUsed) {
      throw new BrokerError('NONCE_REUSED', `session ${session.label} already used its nonce`, {
        hint: 'start a new session with POST /kbs/v0/auth',
      });
    }
    session.nonceUsed = true;

    if (this.now() > session.nonceExpiresAt) {
      throw new BrokerError('NONCE_EXPIRED', `the nonce of session ${session.label} expired`, {
        hint: 'start a new session with POST /kbs/v0/auth and answer it promptly',
      });
    }
    const expected = Buffer.from(session.nonce, 'utf8');
    const actual = Buffer.from(presented, 'utf8');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw new BrokerError(
        'NONCE_MISMATCH',
        `the runtime data does not carry the nonce of session ${session.label}`,
        { hint: 'send the nonce from the auth reply of this session' },
      );
    }
  }

  /** Records a successful attestation. */
  markAttested(session: Session, teePubkey: TeePublicKey, claims: Record<string, unknown>) {
    const expiresAt = this.now() + this.limits.attestedTtlMs;
    session.attested = { teePubkey, claims, expiresAt };
    return expiresAt;
  }

  /** Returns the attested state of a session that may still fetch resources. */
  attestedState(session: Session): AttestedState | undefined {
    const attested = session.attested;
    return attested && this.now() <= attested.expiresAt ? attested : undefined;
  }

  get size() {
    return this.sessions.size;
  }

  /** Drops sessions that can no longer be used for anything. */
  sweep() {
    const now = this.now();
    for (const [key, session] of this.sessions) {
      if (now > this.retainUntil(session)) this.sessions.delete(key);
    }
  }

  // An unused or spent session is kept a while after its nonce expired, so that a late attempt
  // is told NONCE_EXPIRED or NONCE_REUSED instead of an unknown session.
  private retainUntil(session: Session) {
    const spentUntil = session.nonceExpiresAt + this.limits.nonceTtlMs;
    return Math.max(spentUntil, session.attested?.expiresAt ?? 0);
  }
}

function hashId(id: string): Buffer {
  return createHash('sha256').update(id, 'utf8').digest();
}
