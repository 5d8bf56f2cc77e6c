import { describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';

describe('public exports', () => {
  it('exposes the local server lifecycle', () => {
    expect(typeof library.up).toBe('function');
    expect(typeof library.down).toBe('function');
    expect(typeof library.status).toBe('function');
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
});
