import { describe, expect, it } from 'vitest';
import { renderHeader, renderSummary, wrapText } from '../../src/report/posture.js';
import { createStyle } from '../../src/report/style.js';
import type { Finding, PostureReport } from '../../src/posture/types.js';
import { formatEndpoint } from '../../src/util/endpoint.js';

// A stream that is not a terminal gets no colour codes.
const STYLE = createStyle({ isTTY: false } as NodeJS.WriteStream);

function reportWith(findings: number, host = '127.0.0.1'): PostureReport {
  const finding: Finding = {
    id: 'T01',
    group: 'transport',
    title: 'this session is encrypted',
    severity: 'critical',
    status: 'pass',
    observed: 'TLSv1.3',
    expected: 'TLS',
    advice: 'connect with TLS',
    sql: 'SHOW SESSION STATUS',
  };
  return {
    target: { host, port: 3306, user: 'mon' },
    server: { version: '10.11.19-MariaDB', local: true },
    profile: 'hardened',
    verified: true,
    checkedAt: '2026-12-04T12:00:00.000Z',
    findings: Array.from({ length: findings }, () => finding),
    summary: { pass: findings, fail: 0, warn: 0, not_applicable: 0, error: 0 },
    passed: true,
  };
}

describe('wrapText', () => {
  it('wraps at spaces', () => {
    expect(wrapText('no tablespace in progress', 14)).toBe('no tablespace\nin progress');
  });

  it('splits a long variable=value pair after the equals sign', () => {
    expect(wrapText('file_key_management_encryption_algorithm=aes_ctr', 45)).toBe(
      'file_key_management_encryption_algorithm=\naes_ctr',
    );
  });

  it('splits a long path after a slash', () => {
    const lines = wrapText('secure_file_priv=/var/lib/mysql-files/export/', 30).split('\n');
    expect(lines).toEqual(['secure_file_priv=', '/var/lib/mysql-files/export/']);
  });

  it('prefers a comma to other break points', () => {
    expect(wrapText('sql_mode=STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO', 40)).toBe(
      'sql_mode=STRICT_TRANS_TABLES,\nERROR_FOR_DIVISION_BY_ZERO',
    );
  });

  it('cuts a word without break points at the width', () => {
    expect(wrapText('abcdefghij', 4)).toBe('abcd\nefgh\nij');
  });

  it('never exceeds the width', () => {
    const text = 'log_error=/tmp/mariadb-tdx-state/log/error.log, log_warnings=2';
    for (const width of [12, 20, 33]) {
      for (const line of wrapText(text, width).split('\n')) {
        expect(line.length, `${width}: ${line}`).toBeLessThanOrEqual(width);
      }
    }
  });
});

describe('renderSummary', () => {
  it('counts one check in the singular', () => {
    expect(renderSummary(reportWith(1), STYLE)).toMatch(/^1 check: 1 pass,/);
  });

  it('counts several checks in the plural', () => {
    expect(renderSummary(reportWith(2), STYLE)).toMatch(/^2 checks: 2 pass,/);
  });
});

describe('renderHeader', () => {
  it('puts an IPv6 address in brackets', () => {
    expect(renderHeader(reportWith(1, '::1'), STYLE)).toMatch(/ at \[::1\]:3306 as mon,/);
  });

  it('leaves IPv4 addresses and host names as they are', () => {
    expect(renderHeader(reportWith(1, 'db.example.com'), STYLE)).toMatch(
      / at db\.example\.com:3306 as mon,/,
    );
  });
});

describe('formatEndpoint', () => {
  it('brackets IPv6 addresses only', () => {
    expect(formatEndpoint('::1', 3306)).toBe('[::1]:3306');
    expect(formatEndpoint('fe80::1%eth0', 3306)).toBe('[fe80::1%eth0]:3306');
    expect(formatEndpoint('127.0.0.1', 3306)).toBe('127.0.0.1:3306');
    expect(formatEndpoint('localhost', 3306)).toBe('localhost:3306');
  });
});
