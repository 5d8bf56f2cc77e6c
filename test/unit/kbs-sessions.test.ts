import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/kbs/broker/sessions.js';

const limits = { nonceTtlMs: 1000, attestedTtlMs: 5000, maxSessions: 3 };
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

  it('limits open sessions and frees expired ones', () => {
    const { sessions, advance } = table();
    for (let i = 0; i < 3; i++) sessions.create();
    expect(() => sessions.create()).toThrow(
      expect.objectContaining({ code: 'SESSIONS_EXHAUSTED' }),
    );
    advance(2001);
    expect(() => sessions.create()).not.toThrow();
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
