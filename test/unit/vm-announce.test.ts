import { describe, expect, it } from 'vitest';
import { formatAnnouncement, parseAnnouncements } from '../../src/vm/announce.js';
import { consoleTail } from '../../src/vm/ready.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('guest console announcements', () => {
  it('round-trips every kind through console text', () => {
    const lines = [
      formatAnnouncement({ type: 'stage', name: 'mariadb' }),
      formatAnnouncement({ type: 'guest-check', report: { isTd: false } }),
      formatAnnouncement({ type: 'ca', pem: PEM }),
      formatAnnouncement({ type: 'ready', port: 3306, version: '10.11.14' }),
    ];
    const console = `[   1.0] kernel noise\r\n${lines.join('\n')}\n`;
    expect(parseAnnouncements(console)).toEqual([
      { type: 'stage', name: 'mariadb' },
      { type: 'guest-check', report: { isTd: false } },
      { type: 'ca', pem: PEM },
      { type: 'ready', port: 3306, version: '10.11.14' },
    ]);
  });

  it('ignores a certificate line garbled by other console output', () => {
    const line = formatAnnouncement({ type: 'ca', pem: PEM });
    const garbled = line.slice(0, 90) + '[  12.3] audit' + line.slice(90);
    expect(parseAnnouncements(garbled)).toEqual([]);
  });

  it('keeps a failure message on one line', () => {
    const line = formatAnnouncement({
      type: 'failed',
      message: '[PORT_IN_USE] port 3306\nis in use',
    });
    expect(line.split('\n')).toHaveLength(1);
    expect(parseAnnouncements(line)).toEqual([
      { type: 'failed', message: '[PORT_IN_USE] port 3306 is in use' },
    ]);
  });

  it('finds announcements after a timestamp prefix', () => {
    expect(parseAnnouncements('[  99.1] cloud-init[5]: mariadb-tdx-guest: stage seed')).toEqual([
      { type: 'stage', name: 'seed' },
    ]);
  });
});

describe('consoleTail', () => {
  it('removes escape sequences and keeps the last lines', () => {
    const text = '\x1b[0;32m  OK  \x1b[0m] Started\nline 2\r\nline 3\n';
    expect(consoleTail(text, 2)).toBe('  line 2\n  line 3');
    expect(consoleTail(text, 5)).toContain('  OK  ] Started');
  });

  it('says so when the console is empty', () => {
    expect(consoleTail('')).toMatch(/empty/);
  });
});
