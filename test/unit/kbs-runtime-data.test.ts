import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { canonicalRuntimeData, expectedReportData } from '../../src/kbs/runtime-data.js';

const jwk = { kty: 'EC', crv: 'P-256', alg: 'ECDH-ES+A256KW', x: 'xx', y: 'yy' };

describe('runtime data binding', () => {
  it('matches the JCS test vector of trustee', () => {
    // trustee's attestation service hashes {"b":1,"a":"test","c":{"d":"e"}} to this SHA-384
    // (attestation-service/src/lib.rs, parse_runtimedata_json_binding).
    const text = canonicalize({ b: 1, a: 'test', c: { d: 'e' } })!;
    expect(createHash('sha384').update(text).digest('hex')).toBe(
      'e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca941da78870c3',
    );
  });

  it('sorts members and includes empty additional evidence', () => {
    expect(canonicalRuntimeData({ nonce: 'n', teePubkey: jwk })).toBe(
      '{"additional-evidence":"","nonce":"n","tee-pubkey":{"alg":"ECDH-ES+A256KW","crv":"P-256","kty":"EC","x":"xx","y":"yy"}}',
    );
  });

  it('pads the SHA-384 digest to 64 bytes', () => {
    const reportData = expectedReportData({ nonce: 'n', teePubkey: jwk });
    const digest = createHash('sha384')
      .update(canonicalRuntimeData({ nonce: 'n', teePubkey: jwk }))
      .digest();
    expect(reportData.length).toBe(64);
    expect(reportData.subarray(0, 48).equals(digest)).toBe(true);
    expect(reportData.subarray(48).every((byte) => byte === 0)).toBe(true);
  });

  it('changes with the key and the nonce', () => {
    const base = expectedReportData({ nonce: 'n', teePubkey: jwk });
    expect(expectedReportData({ nonce: 'm', teePubkey: jwk }).equals(base)).toBe(false);
    expect(expectedReportData({ nonce: 'n', teePubkey: { ...jwk, x: 'xy' } }).equals(base)).toBe(
      false,
    );
  });
});
