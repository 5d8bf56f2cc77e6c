import { PassThrough } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_ENV, resolvePassword } from '../../src/cli/password.js';

describe('resolvePassword', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mariadb-tdx-password-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a password file without its trailing newline', async () => {
    const file = join(dir, 'password');
    await writeFile(file, 'from-file\n');
    expect(await resolvePassword({ passwordFile: file, env: {} }, 'admin')).toBe('from-file');
  });

  it('rejects an empty or missing password file', async () => {
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n');
    await expect(resolvePassword({ passwordFile: empty }, 'admin')).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    await expect(
      resolvePassword({ passwordFile: join(dir, 'missing') }, 'admin'),
    ).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it('prefers the file to the environment variable', async () => {
    const file = join(dir, 'preferred');
    await writeFile(file, 'from-file');
    const env = { [PASSWORD_ENV]: 'from-env' };
    expect(await resolvePassword({ passwordFile: file, env }, 'admin')).toBe('from-file');
    expect(await resolvePassword({ env }, 'admin')).toBe('from-env');
  });

  it('asks on a terminal without echoing the password', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    const written: string[] = [];
    output.on('data', (chunk: Buffer) => written.push(chunk.toString()));

    const answer = resolvePassword({ env: {}, input, output }, 'admin');
    input.write('typed-secret\n');
    expect(await answer).toBe('typed-secret');
    expect(written.join('')).toContain('password for admin: ');
    expect(written.join('')).not.toContain('typed-secret');
  });

  it('says where to put the password when there is no terminal', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: false });
    await expect(resolvePassword({ env: {}, input }, 'admin')).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });
});
