import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BrokerError, RetryLaterError } from '../errors.js';
import type { TeePublicKey } from '../protocol.js';
import { IN_PROCESS_CLIENT } from './client-key.js';

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
  /** Client key (see clientKey) of the connection that opened the session. */
  readonly client: string;
  readonly nonce: string;
  readonly nonceExpiresAt: number;
  nonceUsed: boolean;
  attested: AttestedState | undefined;
}

/** Reason that a session a client still names has ended. */
export type SessionEnd = 'nonce-expired' | 'nonce-used' | 'evicted';

/** Limits of the session table. */
export interface SessionLimits {
  /** Lifetime of a nonce. An unattested session is dropped when its nonce expires. */
  readonly nonceTtlMs: number;
  /** How long an attested session (and its token) may fetch resources. */
  readonly attestedTtlMs: number;
  /**
   * Sessions kept at once. When the table is full, the oldest unattested session is evicted;
   * `auth` is refused only while every slot contains an attested session.
   */
  readonly maxSessions: number;
  /** Unattested sessions one client may hold; a further `auth` evicts its own oldest one. */
  readonly maxPendingPerClient: number;
}

type Entry = Session & { readonly idHash: Buffer };

/**
 * Sessions in memory, indexed by SHA-256 of the session id. Hashing first means a lookup never
 * compares a client-chosen string against a stored secret byte by byte, and a memory dump of
 * the broker shows no usable session id.
 *
 * Unattested sessions cost an attacker nothing but an `auth` request, so they never crowd out
 * the others: each lives only as long as its nonce, each client has a bounded number, and a
 * full table evicts the oldest of them. A client whose session ended gets the reason for a while
 * (see `endOf`), from a bounded list of hashes.
 */
export class SessionTable {
  private readonly sessions = new Map<string, Entry>();
  /** Unattested session keys per client, oldest first. */
  private readonly pending = new Map<string, Set<string>>();
  private readonly ended = new Map<string, { reason: SessionEnd; until: number }>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a session with a fresh nonce for `client`; returns the session id for the cookie. */
  create(client: string = IN_PROCESS_CLIENT): { id: string; session: Session } {
    this.sweep();
    const own = this.pending.get(client);
    if (own && own.size >= this.limits.maxPendingPerClient) this.evict(own.values().next().value!);
    if (this.sessions.size >= this.limits.maxSessions) this.evictOldestPending();

    const id = randomBytes(SECRET_BYTES).toString('base64url');
    const idHash = hashId(id);
    const key = idHash.toString('hex');
    const session: Entry = {
      idHash,
      label: idHash.subarray(0, 6).toString('hex'),
      client,
      nonce: randomBytes(SECRET_BYTES).toString('base64'),
      nonceExpiresAt: this.now() + this.limits.nonceTtlMs,
      nonceUsed: false,
      attested: undefined,
    };
    this.sessions.set(key, session);
    if (own) own.add(key);
    else this.pending.set(client, new Set([key]));
    return { id, session };
  }

  /** Finds the session of a cookie value; undefined when unknown or no longer usable. */
  find(id: string): Session | undefined {
    if (id.length === 0 || id.length > 128) return undefined;
    const idHash = hashId(id);
    const key = idHash.toString('hex');
    const session = this.sessions.get(key);
    if (!session || !timingSafeEqual(session.idHash, idHash)) return undefined;
    if (!(this.now() <= retainUntil(session))) {
      this.remove(key, session);
      return undefined;
    }
    return session;
  }

  /** Returns why the session of a cookie value ended, while the broker still remembers it. */
  endOf(id: string): SessionEnd | undefined {
    if (id.length === 0 || id.length > 128) return undefined;
    const entry = this.ended.get(hashId(id).toString('hex'));
    return entry && this.now() <= entry.until ? entry.reason : undefined;
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

    if (!(this.now() <= session.nonceExpiresAt)) throw nonceExpired(session.label);
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

  /** Records a successful attestation; the session no longer counts as pending. */
  markAttested(session: Session, teePubkey: TeePublicKey, claims: Record<string, unknown>) {
    const expiresAt = this.now() + this.limits.attestedTtlMs;
    session.attested = { teePubkey, claims, expiresAt };
    const key = (session as Entry).idHash.toString('hex');
    this.dropPending(session.client, key);
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

  /** Drops sessions that can no longer be used, and end reasons past their time. */
  sweep() {
    const now = this.now();
    for (const [key, session] of this.sessions) {
      if (!(now <= retainUntil(session))) this.remove(key, session);
    }
    for (const [key, entry] of this.ended) {
      if (!(now <= entry.until)) this.ended.delete(key);
    }
  }

  private evictOldestPending() {
    for (const [key, session] of this.sessions) {
      if (!session.attested) return this.evict(key);
    }
    // Every slot contains an attested session, each of which passed attestation.
    const earliest = Math.min(...[...this.sessions.values()].map(retainUntil));
    const seconds = Math.max(1, Math.ceil((earliest - this.now()) / 1000));
    throw new RetryLaterError(
      'SESSIONS_EXHAUSTED',
      `the broker holds ${this.sessions.size} attested sessions, its maximum`,
      seconds,
      { hint: `retry after ${seconds} s, when the oldest attested session expires` },
    );
  }

  private evict(key: string) {
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    this.dropPending(session.client, key);
    this.remember(key, 'evicted');
  }

  private remove(key: string, session: Entry) {
    this.sessions.delete(key);
    this.dropPending(session.client, key);
    if (!session.attested) this.remember(key, session.nonceUsed ? 'nonce-used' : 'nonce-expired');
  }

  private dropPending(client: string, key: string) {
    const own = this.pending.get(client);
    own?.delete(key);
    if (own?.size === 0) this.pending.delete(client);
  }

  // The list of ended sessions is bounded like the table itself; the oldest reason goes first.
  private remember(key: string, reason: SessionEnd) {
    this.ended.set(key, { reason, until: this.now() + this.limits.nonceTtlMs });
    if (this.ended.size > this.limits.maxSessions)
      this.ended.delete(this.ended.keys().next().value!);
  }
}

/** An unattested session lives as long as its nonce; an attested one until its token expires. */
function retainUntil(session: Session): number {
  return session.attested ? session.attested.expiresAt : session.nonceExpiresAt;
}

/** NONCE_EXPIRED for a session whose nonce was not used in time. */
export function nonceExpired(label: string | undefined): BrokerError {
  return new BrokerError(
    'NONCE_EXPIRED',
    label ? `the nonce of session ${label} expired` : 'the nonce of this session expired',
    { hint: 'start a new session with POST /kbs/v0/auth and answer it promptly' },
  );
}

function hashId(id: string): Buffer {
  return createHash('sha256').update(id, 'utf8').digest();
}
