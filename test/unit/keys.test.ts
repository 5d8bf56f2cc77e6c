import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../../src/errors.js';
import {
  computeKeyCheckValue,
  decryptKeyFile,
  encryptKeyFile,
  formatKeyFile,
  generateKeyRing,
  parseKeyFile,
} from '../../src/mariadb/keys.js';
import { scratchDir } from '../helpers/scratch.js';

describe('key file format', () => {
  it('round-trips generated keys', () => {
    const keys = generateKeyRing();
    const parsed = parseKeyFile(formatKeyFile(keys), 'test');
    expect([...parsed.keys()]).toEqual([1, 2]);
    expect(parsed.get(1)!.equals(keys.get(1)!)).toBe(true);
    expect(parsed.get(2)!.equals(keys.get(2)!)).toBe(true);
  });

  it('generates distinct 256-bit keys', () => {
    const keys = generateKeyRing();
    expect(keys.get(1)!.length).toBe(32);
    expect(keys.get(1)!.equals(keys.get(2)!)).toBe(false);
  });

  it('skips comments and blank lines', () => {
    const parsed = parseKeyFile(`# comment\n\n1;${'ab'.repeat(16)}\n`, 'test');
    expect(parsed.get(1)!.length).toBe(16);
  });

  it.each([
    ['a key of 30 hex digits', `1;${'a'.repeat(30)}`],
    ['a missing separator', `1 ${'a'.repeat(64)}`],
    ['a non-hex key', `1;${'z'.repeat(64)}`],
    ['a duplicate id', `1;${'a'.repeat(64)}\n1;${'b'.repeat(64)}`],
  ])('rejects %s with KEY_FILE_INVALID', (_name, text) => {
    expect(() => parseKeyFile(text, 'test')).toThrow(KeyError);
    try {
      parseKeyFile(text, 'test');
    } catch (error) {
      expect((error as KeyError).code).toBe('KEY_FILE_INVALID');
    }
  });

  it('keeps key bytes out of parse errors', () => {
    const secret = 'c0ffee'.repeat(10) + 'abcd';
    try {
      parseKeyFile(`1;${secret}zz`, 'test');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
  });
});

describe('encrypted key file', () => {
  const passphrase = Buffer.from('correct horse battery staple');
  const plaintext = formatKeyFile(generateKeyRing());

  it('decrypts its own output', () => {
    const encrypted = encryptKeyFile(plaintext, passphrase);
    expect(encrypted.subarray(0, 8).toString('latin1')).toBe('Salted__');
    expect(decryptKeyFile(encrypted, passphrase, 'test')).toBe(plaintext);
  });

  it('is readable by openssl enc with -md sha1', async () => {
    const dir = await scratchDir('kf-');
    await writeFile(join(dir, 'keyfile.enc'), encryptKeyFile(plaintext, passphrase));
    await writeFile(join(dir, 'pass'), passphrase);
    const output = execFileSync('openssl', [
      'enc',
      '-d',
      '-aes-256-cbc',
      '-md',
      'sha1',
      '-pass',
      `file:${join(dir, 'pass')}`,
      '-in',
      join(dir, 'keyfile.enc'),
    ]);
    expect(output.toString('utf8')).toBe(plaintext);
  });

  it('reads files written by openssl enc with -md sha1', async () => {
    const dir = await scratchDir('kf-');
    await writeFile(join(dir, 'keyfile'), plaintext);
    await writeFile(join(dir, 'pass'), passphrase);
    execFileSync(
      'openssl',
      [
        'enc',
        '-aes-256-cbc',
        '-md',
        'sha1',
        '-pass',
        `file:${join(dir, 'pass')}`,
        '-in',
        join(dir, 'keyfile'),
        '-out',
        join(dir, 'keyfile.enc'),
      ],
      { stdio: 'pipe' },
    );
    const encrypted = await readFile(join(dir, 'keyfile.enc'));
    expect(decryptKeyFile(encrypted, passphrase, 'test')).toBe(plaintext);
  });

  it('reports a wrong passphrase as FILEKEY_WRONG', () => {
    const encrypted = encryptKeyFile(plaintext, passphrase);
    expect(() => decryptKeyFile(encrypted, Buffer.from('wrong'), 'test')).toThrow(
      expect.objectContaining({ code: 'FILEKEY_WRONG' }),
    );
  });

  it('reports every wrong passphrase as FILEKEY_WRONG', () => {
    const encrypted = encryptKeyFile(plaintext, passphrase);
    // Some wrong passphrases yield valid padding; they must not pass as a key file either.
    for (let attempt = 0; attempt < 2000; attempt++) {
      expect(() => decryptKeyFile(encrypted, Buffer.from(`wrong ${attempt}`), 'test')).toThrow(
        expect.objectContaining({ code: 'FILEKEY_WRONG' }),
      );
    }
  });

  it('reports a clear-text file as KEY_FILE_INVALID', () => {
    const clear = Buffer.from(plaintext.repeat(2));
    expect(() => decryptKeyFile(clear, passphrase, 'test')).toThrow(
      expect.objectContaining({ code: 'KEY_FILE_INVALID' }),
    );
  });

  it('reports a truncated file as KEY_FILE_INVALID', () => {
    const encrypted = encryptKeyFile(plaintext, passphrase).subarray(0, 20);
    expect(() => decryptKeyFile(encrypted, passphrase, 'test')).toThrow(
      expect.objectContaining({ code: 'KEY_FILE_INVALID' }),
    );
  });
});

describe('computeKeyCheckValue', () => {
  it('is stable for one key and differs between keys', () => {
    const keys = generateKeyRing();
    expect(computeKeyCheckValue(keys.get(1)!)).toBe(computeKeyCheckValue(keys.get(1)!));
    expect(computeKeyCheckValue(keys.get(1)!)).not.toBe(computeKeyCheckValue(keys.get(2)!));
  });

  it('is 16 hex digits that do not contain the key', () => {
    const key = generateKeyRing().get(1)!;
    const value = computeKeyCheckValue(key);
    expect(value).toMatch(/^[0-9a-f]{16}$/);
    expect(key.toString('hex')).not.toContain(value);
  });
});
