import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  explainRefusedLogin,
  parseCheckIds,
  parseHost,
  resolveCheckTarget,
  type CheckTarget,
} from '../../src/cli/commands/check-connection.js';
import { readInputFile, unreadableFileError } from '../../src/cli/files.js';
import { PASSWORD_ENV, resolvePasswordWithSource } from '../../src/cli/password.js';
import { DatabaseError, MariadbTdxError } from '../../src/errors.js';

/** Returns the MariadbTdxError that `promise` rejects with, and fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<MariadbTdxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MariadbTdxError);
  return error as MariadbTdxError;
}

describe('parseHost', () => {
  it('accepts names and addresses', () => {
    expect(parseHost('db.example.com')).toBe('db.example.com');
    expect(parseHost('192.0.2.10')).toBe('192.0.2.10');
    expect(parseHost('::1')).toBe('::1');
    expect(parseHost('[2001:db8::5]')).toBe('2001:db8::5');
  });

  it('rejects an empty host', () => {
    expect(() => parseHost('')).toThrow(/expected a host name or IP address/);
    expect(() => parseHost('  ')).toThrow(/expected a host name or IP address/);
    expect(() => parseHost('[]')).toThrow(/expected a host name or IP address/);
  });

  it('rejects a port in the host', () => {
    expect(() => parseHost('127.0.0.1:3306')).toThrow(/pass the port with --port/);
  });

  it('rejects spaces, slashes and user names', () => {
    for (const value of ['db example', 'mysql://db', 'root@db']) {
      expect(() => parseHost(value), value).toThrow(/expected a host name or IP address/);
    }
  });
});

describe('parseCheckIds', () => {
  it('splits and trims ids', () => {
    expect(parseCheckIds(' T01, e07 ,')).toEqual(['T01', 'e07']);
  });

  it('rejects a list without ids', () => {
    for (const value of ['', ' ', ',', ' , ']) {
      expect(() => parseCheckIds(value), JSON.stringify(value)).toThrow(/expected check ids/);
    }
  });
});

describe('resolveCheckTarget', () => {
  it('rejects --dir given with an address option', async () => {
    await expect(resolveCheckTarget({ dir: '/srv/state', port: 3307 }, true)).rejects.toMatchObject(
      { code: 'INVALID_OPTION', message: '--dir cannot be combined with --port' },
    );
  });

  it('names the options given when --user is missing', async () => {
    const error = await rejection(resolveCheckTarget({ dir: '.mariadb-tdx', port: 3307 }, false));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toBe('--user is required with --port');
    expect(error.hint).toContain('127.0.0.1 unless --host is given');
  });

  it('reads the CA file before asking for a password', async () => {
    await expect(
      resolveCheckTarget({ dir: '.mariadb-tdx', user: 'mon', ca: tmpdir() }, false),
    ).rejects.toMatchObject({ code: 'FILE_UNREADABLE' });
  });
});

describe('explainRefusedLogin', () => {
  const target: CheckTarget = {
    connection: { host: '127.0.0.1', port: 3306, user: 'mon', password: 'x' },
    passwordSource: PASSWORD_ENV,
    caDescription: undefined,
  };

  it('names the user and the origin of the password', () => {
    const refused = new DatabaseError('ACCESS_DENIED', 'access denied at 127.0.0.1:3306', {
      hint: 'check the user name and password',
      cause: Object.assign(new Error('denied'), { code: 'ER_ACCESS_DENIED_ERROR' }),
    });
    const explained = explainRefusedLogin(refused, target) as DatabaseError;
    expect(explained).toBeInstanceOf(DatabaseError);
    expect(explained.code).toBe('ACCESS_DENIED');
    expect(explained.message).toBe(refused.message);
    expect(explained.hint).toBe(`check the user name (mon) and ${PASSWORD_ENV}`);
  });

  it('keeps the hint of a locked account', () => {
    const locked = new DatabaseError('ACCESS_DENIED', 'access denied', {
      hint: 'original',
      cause: Object.assign(new Error('locked'), { code: 'ER_ACCOUNT_HAS_BEEN_LOCKED' }),
    });
    expect(explainRefusedLogin(locked, target)).toBe(locked);
  });

  it('returns other errors unchanged', () => {
    const refused = new DatabaseError('CONNECTION_REFUSED', 'nothing accepts connections');
    expect(explainRefusedLogin(refused, target)).toBe(refused);
  });
});

describe('resolvePasswordWithSource', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mariadb-tdx-source-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the password file or the environment variable', async () => {
    const file = join(dir, 'password');
    await writeFile(file, 'from-file\n');
    const env = { [PASSWORD_ENV]: 'from-env' };
    expect(await resolvePasswordWithSource({ passwordFile: file, env }, 'mon')).toEqual({
      password: 'from-file',
      source: `the password file ${file}`,
    });
    expect(await resolvePasswordWithSource({ env }, 'mon')).toEqual({
      password: 'from-env',
      source: PASSWORD_ENV,
    });
  });
});

describe('files named on the command line', () => {
  it('says that a directory is not a file', async () => {
    const error = await rejection(readInputFile(tmpdir(), 'password file', '--password-file'));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toBe(`password file ${tmpdir()} is a directory, not a file`);
    expect(error.hint).toMatch(/^check --password-file/);
  });

  it('says that a file does not exist', async () => {
    const missing = join(tmpdir(), 'mariadb-tdx-no-such-file');
    await expect(readInputFile(missing, 'CA file', '--ca')).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: `CA file ${missing} does not exist`,
    });
  });

  it('says that permission was denied and how to fix it', () => {
    // Tests may run as root, which reads any file, so the errno comes from a constructed error.
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const error = unreadableFileError(denied, '/etc/shadow', 'CA file', '--ca');
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toBe('cannot read CA file /etc/shadow: permission denied');
    expect(error.hint).toMatch(/ls -l/);
  });

  it('gives the system reason for other failures', () => {
    const failed = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    const error = unreadableFileError(failed, '/mnt/ca.pem', 'CA file', '--ca');
    expect(error.message).toBe('cannot read CA file /mnt/ca.pem: EIO: i/o error, read');
  });
});
