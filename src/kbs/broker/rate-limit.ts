import { RetryLaterError } from '../errors.js';

/** A token bucket per client: `burst` requests at once, then `perSecond` on average. */
export interface RateLimits {
  readonly burst: number;
  readonly perSecond: number;
}

// Buckets kept at once; a full bucket carries no state worth keeping and is dropped first.
const MAX_CLIENTS = 100_000;

/**
 * Limits how often each client may open a session. Opening one is cheap for the broker, but an
 * unlimited rate lets a few addresses churn the session table faster than agents attest.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token of `client`, or throws TOO_MANY_REQUESTS with the seconds to wait. */
  take(client: string) {
    const now = this.now();
    const bucket = this.buckets.get(client) ?? { tokens: this.limits.burst, updatedAt: now };
    const refilled = ((now - bucket.updatedAt) / 1000) * this.limits.perSecond;
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + Math.max(0, refilled));
    bucket.updatedAt = now;
    if (bucket.tokens < 1) {
      const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.limits.perSecond));
      throw new RetryLaterError(
        'TOO_MANY_REQUESTS',
        `client ${client} opens sessions faster than ${this.limits.perSecond} per second`,
        seconds,
        { hint: `retry after ${seconds} s; an agent needs one session per attestation` },
      );
    }
    bucket.tokens -= 1;
    this.buckets.delete(client);
    this.buckets.set(client, bucket);
    if (this.buckets.size > MAX_CLIENTS) this.dropIdle();
  }

  // Buckets are kept in order of last use; the least recently used one goes.
  private dropIdle() {
    this.buckets.delete(this.buckets.keys().next().value!);
  }
}
