import { describe, expect, it } from 'vitest';
import { fileSystemName } from '../../src/kbs/agent/ram-key-file.js';
import { aggregateAudit } from '../../src/kbs/broker/audit-aggregate.js';
import { clientKey } from '../../src/kbs/broker/client-key.js';
import type { AuditEvent } from '../../src/kbs/broker/logging.js';
import { RateLimiter } from '../../src/kbs/broker/rate-limit.js';

describe('clientKey', () => {
  it('counts an IPv4 address, mapped or not, as one client', () => {
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('counts IPv6 addresses by their /64', () => {
    expect(clientKey('2001:db8:1:2::5')).toBe(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'));
    expect(clientKey('2001:db8:1:2::5')).not.toBe(clientKey('2001:db8:1:3::5'));
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('RateLimiter', () => {
  it('allows a burst, then the refill rate', () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 2, perSecond: 1 }, () => now);
    limiter.take('a');
    limiter.take('a');
    expect(() => limiter.take('a')).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_REQUESTS', retryAfterSeconds: 1 }),
    );
    expect(() => limiter.take('b')).not.toThrow();
    now += 1000;
    expect(() => limiter.take('a')).not.toThrow();
  });
});

describe('aggregateAudit', () => {
  const challenge = (client: string): AuditEvent => ({
    event: 'auth',
    decision: 'challenge issued',
    client,
  });

  it('folds repeated challenges into a count per client and window', () => {
    let now = 0;
    const lines: AuditEvent[] = [];
    const audit = aggregateAudit((event) => lines.push(event), { windowMs: 1000, now: () => now });
    for (let i = 0; i < 5; i++) audit.sink(challenge('a'));
    audit.sink(challenge('b'));
    expect(lines).toHaveLength(2);

    now = 1500;
    audit.closeExpired();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ client: 'a', repeated: 4 });
  });

  it('writes every key decision at once', () => {
    const lines: AuditEvent[] = [];
    const audit = aggregateAudit((event) => lines.push(event));
    for (let i = 0; i < 3; i++) {
      audit.sink({ event: 'resource', decision: 'released', client: 'a', keyset: 'k' });
      audit.sink({ event: 'attest', decision: 'rejected', client: 'a', code: 'QUOTE_INVALID' });
    }
    expect(lines).toHaveLength(6);
    audit.flush();
    expect(lines).toHaveLength(6);
  });
});

describe('fileSystemName', () => {
  it('names common file systems', () => {
    expect(fileSystemName(0xef53)).toBe('ext2/ext3/ext4 (0xef53)');
    expect(fileSystemName(0x01021994)).toBe('tmpfs (0x1021994)');
    expect(fileSystemName(0x12345678)).toBe('type 0x12345678');
  });
});
