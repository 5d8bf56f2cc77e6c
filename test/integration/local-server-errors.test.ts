import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocal } from '../../src/local/client.js';
import { down } from '../../src/local/down.js';
import { status } from '../../src/local/status.js';
import { up } from '../../src/local/up.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { pathExists } from '../../src/util/fs.js';
import { makeTempDir, mariadbAvailable } from '../helpers/mariadb.js';

const available = await mariadbAvailable();

describe.skipIf(!available)('up with an encrypted key file', () => {
  let parent: string;
  let dir: string;
  let filekey: string;

  beforeAll(async () => {
    parent = await makeTempDir();
    dir = join(parent, 'state');
    filekey = join(parent, 'filekey');
    await writeFile(filekey, 'a passphrase kept outside the state directory\n', { mode: 0o600 });
    await up({ dir, filekeyPath: filekey });
  });
  afterAll(async () => {
    await down({ dir, purge: true, yes: true }).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
  });

  it('stores only the encrypted key file', async () => {
    const layout = stateLayout(dir);
    const encrypted = await readFile(layout.encryptedKeyFile);
    expect(encrypted.subarray(0, 8).toString('latin1')).toBe('Salted__');
    expect(await pathExists(layout.keyFile)).toBe(false);
  });

  it('serves encrypted tables with keys MariaDB decrypted itself', async () => {
    const connection = await connectLocal(dir);
    try {
      const rows = (await connection.query(
        'SELECT @@file_key_management_filekey AS filekey, @@file_key_management_filename AS filename',
      )) as { filekey: string; filename: string }[];
      expect(rows[0]?.filekey).toBe(`FILE:${filekey}`);
      expect(rows[0]?.filename).toMatch(/keyfile\.enc$/);
      await connection.query("CREATE TABLE mysql.probe (id INT) ENCRYPTED='YES'");
      await connection.query('DROP TABLE mysql.probe');
    } finally {
      await connection.end();
    }
  });

  it('reports the encrypted key file in status', async () => {
    const report = await status({ dir });
    expect(report.encryption?.keyStorage).toContain('encrypted');
  });

  it('refuses a wrong passphrase before starting and keeps the key file', async () => {
    await down({ dir });
    const layout = stateLayout(dir);
    const before = await readFile(layout.encryptedKeyFile);
    const original = await readFile(filekey);
    await writeFile(filekey, 'a different passphrase\n');
    try {
      await expect(up({ dir })).rejects.toMatchObject({ code: 'FILEKEY_WRONG' });
    } finally {
      await writeFile(filekey, original);
    }
    expect((await readFile(layout.encryptedKeyFile)).equals(before)).toBe(true);
    await expect(up({ dir })).resolves.toMatchObject({ keyProtection: 'encrypted key file' });
  });

  it('rejects dropping --filekey on a directory created with it', async () => {
    await expect(up({ dir, filekeyPath: join(parent, 'other') })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });
});

describe.skipIf(!available)('up with bad input', () => {
  let parent: string;

  beforeAll(async () => {
    parent = await makeTempDir();
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('refuses a directory made by something else and leaves it alone', async () => {
    const dir = join(parent, 'foreign');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    await expect(up({ dir })).rejects.toMatchObject({ code: 'STATE_DIR_FOREIGN' });
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('refuses a busy port before creating anything', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const dir = join(parent, 'busy');
    try {
      await expect(up({ dir, port })).rejects.toMatchObject({ code: 'PORT_IN_USE' });
    } finally {
      blocker.close();
    }
    expect(await pathExists(dir)).toBe(false);
  });

  it('refuses a missing filekey with the command that creates one', async () => {
    const dir = join(parent, 'nofilekey');
    const error = await up({ dir, filekeyPath: join(parent, 'absent') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FILEKEY_MISSING' });
    expect((error as { hint: string }).hint).toContain('openssl rand');
    expect(await pathExists(dir)).toBe(false);
  });

  it('refuses an invalid port number', async () => {
    await expect(up({ dir: join(parent, 'x'), port: 70000 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });

  it('requires --yes to purge', async () => {
    await expect(down({ dir: join(parent, 'x'), purge: true })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });

  it('reports a missing state directory', async () => {
    await expect(status({ dir: join(parent, 'absent') })).rejects.toMatchObject({
      code: 'STATE_DIR_MISSING',
    });
  });
});
