import { describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';

describe('public exports', () => {
  it('exposes the local server lifecycle', () => {
    expect(typeof library.up).toBe('function');
    expect(typeof library.down).toBe('function');
    expect(typeof library.status).toBe('function');
  });

  it('exposes the posture check', () => {
    expect(typeof library.checkPosture).toBe('function');
    expect(typeof library.runPostureChecks).toBe('function');
    expect(library.CATALOGUE.length).toBeGreaterThanOrEqual(50);
    expect(new library.PostureError('NOT_MARIADB', 'x')).toBeInstanceOf(library.MariadbTdxError);
  });

  it('exposes typed errors with codes', () => {
    const error = new library.KeyError('KEY_FILE_MISSING', 'missing');
    expect(error).toBeInstanceOf(library.MariadbTdxError);
    expect(error.code).toBe('KEY_FILE_MISSING');
  });

  it('exposes the VM lifecycle and checks', () => {
    for (const name of [
      'createVm',
      'listVms',
      'removeVm',
      'dumpVm',
      'checkHost',
      'checkGuest',
      'provision',
      'leakTest',
      'renderDomainXml',
    ]) {
      expect(typeof (library as Record<string, unknown>)[name]).toBe('function');
    }
    expect(new library.VmError('VM_EXISTS', 'exists')).toBeInstanceOf(library.MariadbTdxError);
  });

  it('exposes quote verification with the Intel root as the only default anchor', () => {
    expect(typeof library.verifyQuote).toBe('function');
    expect(typeof library.appraiseQuote).toBe('function');
    expect(typeof library.createCollateral).toBe('function');
    expect(library.INTEL_SGX_ROOT_CA_FINGERPRINT).toBe(
      '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3',
    );
    expect(new library.QuoteVerificationError('PCK_REVOKED', 'revoked')).toBeInstanceOf(
      library.MariadbTdxError,
    );
  });

  it('exposes the key broker and the agent', () => {
    expect(typeof library.startBroker).toBe('function');
    expect(typeof library.obtainKeys).toBe('function');
    expect(typeof library.createSimulatedTd).toBe('function');
    const error = new library.BrokerError('NONCE_REUSED', 'reused');
    expect(error).toBeInstanceOf(library.MariadbTdxError);
  });
});
