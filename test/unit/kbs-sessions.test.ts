import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/kbs/broker/sessions.js';

const limits = { nonceTtlMs: 1000, attestedTtlMs: 5000, maxSessions: 3, maxPendingPerClient: 3 };
const pubkey = { kty: 'EC', crv: 'P-256', x: 'a'.repeat(43), y: 'b'.repeat(43) } as const;

function table() {
  let now = 1_000_000;
  const sessions = new SessionTable(limits, () => now);
  return { sessions, advance: (ms: number) => (now += ms) };
}

describe('session table', () => {
  it('issues distinct 32-byte nonces', () => {
    const { sessions } = table();
    const first = sessions.create().session;
    const second = sessions.create().session;
    expect(Buffer.from(first.nonce, 'base64').length).toBe(32);
    expect(first.nonce).not.toBe(second.nonce);
  });

  it('finds a session only by its exact id', () => {
    const { sessions } = table();
    const { id, session } = sessions.create();
    expect(sessions.find(id)).toBe(session);
    expect(sessions.find(`${id}x`)).toBeUndefined();
    expect(sessions.find('')).toBeUndefined();
  });

  it('accepts the nonce once', () => {
    const { sessions } = table();
    const { session } = sessions.create();
    expect(() => sessions.spendNonce(session, session.nonce)).not.toThrow();
    expect(() => sessions.spendNonce(session, session.nonce)).toThrow(
      expect.objectContaining({ code: 'NONCE_REUSED' }),
    );
  });

  it('rejects an expired nonce', () => {
    const { sessions, advance } = table();
    const { session } = sessions.create();
    advance(1001);
    expect(() => sessions.spendNonce(session, session.nonce)).toThrow(
      expect.objectContaining({ code: 'NONCE_EXPIRED' }),
    );
  });

  it('rejects another session nonce and spends its own', () => {
    const { sessions } = table();
    const { session } = sessions.create();
    const other = sessions.create().session;
    expect(() => sessions.spendNonce(session, other.nonce)).toThrow(
      expect.objectContaining({ code: 'NONCE_MISMATCH' }),
    );
    expect(() => sessions.spendNonce(session, session.nonce)).toThrow(
      expect.objectContaining({ code: 'NONCE_REUSED' }),
    );
  });

  it('evicts the oldest unattested session when full', () => {
    const { sessions } = table();
    const first = sessions.create('a');
    sessions.create('b');
    sessions.create('c');
    expect(() => sessions.create('d')).not.toThrow();
    expect(sessions.size).toBe(3);
    expect(sessions.find(first.id)).toBeUndefined();
    expect(sessions.endOf(first.id)).toBe('evicted');
  });

  it('never evicts an attested session', () => {
    const { sessions, advance } = table();
    for (const client of ['a', 'b', 'c']) {
      const { session } = sessions.create(client);
      sessions.spendNonce(session, session.nonce);
      sessions.markAttested(session, pubkey, {});
      advance(1000);
    }
    // The first attested session expires 5 s after it was made, 2 s from now.
    expect(() => sessions.create('d')).toThrow(
      expect.objectContaining({ code: 'SESSIONS_EXHAUSTED', retryAfterSeconds: 2 }),
    );
  });

  it('evicts a client’s own oldest session beyond its share', () => {
    let now = 0;
    const sessions = new SessionTable(
      { ...limits, maxSessions: 10, maxPendingPerClient: 2 },
      () => now,
    );
    const other = sessions.create('other');
    const first = sessions.create('flood');
    sessions.create('flood');
    sessions.create('flood');
    now += 1;
    expect(sessions.find(first.id)).toBeUndefined();
    expect(sessions.find(other.id)).toBe(other.session);
    expect(sessions.size).toBe(3);
  });

  it('drops an unattested session when its nonce expires', () => {
    const { sessions, advance } = table();
    const { id } = sessions.create();
    advance(1001);
    sessions.sweep();
    expect(sessions.size).toBe(0);
    expect(sessions.find(id)).toBeUndefined();
    expect(sessions.endOf(id)).toBe('nonce-expired');
    advance(1001);
    expect(sessions.endOf(id)).toBeUndefined();
  });

  it('expires an attested session', () => {
    const { sessions, advance } = table();
    const { id, session } = sessions.create();
    sessions.spendNonce(session, session.nonce);
    sessions.markAttested(session, pubkey, {});
    expect(sessions.attestedState(session)).toBeDefined();
    advance(5001);
    expect(sessions.attestedState(session)).toBeUndefined();
    expect(sessions.find(id)).toBeUndefined();
  });
});
