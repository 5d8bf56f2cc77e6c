import { describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';

describe('scan exports', () => {
  it('exposes the scanner and process dumps', () => {
    expect(typeof library.scan).toBe('function');
    expect(typeof library.dumpProcess).toBe('function');
    expect(typeof library.buildNeedles).toBe('function');
    expect(typeof library.readValuesFile).toBe('function');
    expect(typeof library.dedupeValues).toBe('function');
    expect(typeof library.valuesFromDatabase).toBe('function');
  });

  it('exposes ScanError with codes', () => {
    const error = new library.ScanError('ELF_TRUNCATED', 'truncated');
    expect(error).toBeInstanceOf(library.MariadbTdxError);
    expect(error.code).toBe('ELF_TRUNCATED');
  });
});
