import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bankingValues,
  dedupeValues,
  parseColumnSpec,
  readValuesFile,
} from '../../src/scan/needles/inputs.js';
import { buildNeedles } from '../../src/scan/needles/needles.js';
import { scratchDirectory } from '../helpers/scan.js';

describe('readValuesFile', () => {
  let dir: string;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, dispose } = await scratchDirectory());
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('reads one value per line', async () => {
    const path = join(dir, 'lines.txt');
    await writeFile(path, 'first value\r\n\nsecond value\n');
    expect(await readValuesFile(path)).toEqual([
      { value: 'first value' },
      { value: 'second value' },
    ]);
  });

  it('reads typed JSON values and raw bytes', async () => {
    const path = join(dir, 'values.json');
    await writeFile(
      path,
      JSON.stringify({
        values: [
          'plain text',
          {
            value: '1000.00',
            type: 'decimal',
            precision: 15,
            scale: 2,
            table: 'Accounts',
            column: 'Balance',
          },
          { hex: 'deadbeef01', label: 'key' },
        ],
      }),
    );
    const values = await readValuesFile(path);
    expect(values[0]).toEqual({ value: 'plain text' });
    expect(values[1]).toMatchObject({
      type: 'decimal',
      precision: 15,
      scale: 2,
      label: 'Accounts.Balance',
    });
    expect(Buffer.from(values[2]!.value as Uint8Array).toString('hex')).toBe('deadbeef01');
  });

  it('removes a byte order mark and CR line ends', async () => {
    const path = join(dir, 'bom.txt');
    await writeFile(path, '\uFEFFfirst value\r\nsecond value\r\n');
    expect(await readValuesFile(path)).toEqual([
      { value: 'first value' },
      { value: 'second value' },
    ]);
  });

  it('reads JSON after a byte order mark', async () => {
    const path = join(dir, 'bom.json');
    await writeFile(path, '\uFEFF["first value", {"value": "second value"}]\r\n');
    const values = await readValuesFile(path);
    expect(values.map((v) => v.value)).toEqual(['first value', 'second value']);
  });

  it('reads a bracketed first line as a value', async () => {
    const path = join(dir, 'bracket.txt');
    await writeFile(path, '[ACME] Corp\n{internal} account\n');
    expect(await readValuesFile(path)).toEqual([
      { value: '[ACME] Corp' },
      { value: '{internal} account' },
    ]);
  });

  it('rejects a file that starts like JSON and is not', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '[\n  "first value",\n]\n');
    await expect(readValuesFile(path)).rejects.toMatchObject({
      code: 'VALUES_INVALID',
      message: expect.stringContaining('starts like a JSON document but is not valid JSON'),
    });
  });

  it('searches a line that is not UTF-8 as its raw bytes', async () => {
    const path = join(dir, 'latin1.txt');
    await writeFile(
      path,
      Buffer.from([0xff, 0xfe, 0x61, 0x62, 0x63, 0x0a, 0x64, 0x65, 0x66, 0x67]),
    );
    const values = await readValuesFile(path);
    expect(Buffer.from(values[0]!.value as Uint8Array).toString('hex')).toBe('fffe616263');
    expect(values[1]).toEqual({ value: 'defg' });
  });

  it('keeps the values of broken JSON out of the error', async () => {
    const path = join(dir, 'secret.json');
    await writeFile(path, '["SECRET-VALUE-1",\n  "SECRET-VALUE-2" 3]');
    const error = (await readValuesFile(path).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('line 2, column');
    expect(error.message).not.toContain('SECRET');
    await writeFile(path, '["SECRET-VALUE-1",]');
    const other = (await readValuesFile(path).catch((e: unknown) => e)) as Error;
    expect(other.message).not.toContain('SECRET');
  });

  it('rejects a JSON values file that is not UTF-8', async () => {
    const path = join(dir, 'latin1.json');
    await writeFile(
      path,
      Buffer.concat([Buffer.from('["caf'), Buffer.from([0xe9]), Buffer.from('"]')]),
    );
    await expect(readValuesFile(path)).rejects.toMatchObject({
      code: 'VALUES_INVALID',
      message: expect.stringContaining('not valid UTF-8'),
    });
  });

  it('rejects invalid JSON entries with VALUES_INVALID', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, JSON.stringify([{ value: '1', type: 'float' }]));
    await expect(readValuesFile(path)).rejects.toMatchObject({ code: 'VALUES_INVALID' });
  });
});

describe('dedupeValues', () => {
  it('keeps the first of equal values', () => {
    const { values, duplicates } = dedupeValues([
      { value: 'Margarethe Vinterberg' },
      { value: '1000.00', type: 'decimal', precision: 15, scale: 2, label: 'a.Balance' },
      { value: 'Margarethe Vinterberg' },
      { value: '1000.00', type: 'decimal', precision: 15, scale: 2, label: 'b.Limit' },
      { value: '1000.00' },
    ]);
    expect(duplicates).toBe(2);
    expect(values).toEqual([
      { value: 'Margarethe Vinterberg' },
      {
        value: '1000.00',
        type: 'decimal',
        precision: 15,
        scale: 2,
        label: 'a.Balance, b.Limit',
      },
      { value: '1000.00' },
    ]);
  });

  it('keeps integers of different column sizes', () => {
    const { duplicates } = dedupeValues([
      { value: '70000', type: 'integer', integerBytes: 4 },
      { value: '70000', type: 'integer', integerBytes: 8 },
      { value: '70000', type: 'integer' },
    ]);
    expect(duplicates).toBe(1);
  });
});

describe('buildNeedles', () => {
  it('leaves out only short encoded forms', () => {
    const needles = buildNeedles([
      { value: '65000', type: 'integer', integerBytes: 2, unsigned: true },
      { value: '-5', type: 'integer', integerBytes: 8 },
      { value: '100', type: 'integer', integerBytes: 1 },
    ]);
    expect(needles.encodingsByValue).toEqual([['utf8', 'utf16le'], ['integer'], []]);
    expect(needles.shortForms[0]).toEqual([{ encoding: 'integer', length: 2 }]);
    expect(needles.rejected).toEqual([
      {
        index: 2,
        label: undefined,
        length: 3,
        reason: 'shorter than 4 bytes in every encoding that applies (utf8, utf16le, integer)',
      },
    ]);
  });

  it('rejects more than 500,000 values', () => {
    const values = Array.from({ length: 500_001 }, () => ({ value: 'same value' }));
    expect(() => buildNeedles(values)).toThrowError(
      expect.objectContaining({ code: 'TOO_MANY_PATTERNS' }),
    );
  });

  it('encodes banking balances in every form', () => {
    const values = bankingValues({ rows: 0 });
    const needles = buildNeedles(values);
    const balance = values.findIndex((v) => v.value === '84736.19');
    expect(needles.encodingsByValue[balance]).toEqual(['utf8', 'utf16le', 'decimal']);
  });

  it('shares one pattern between values with equal bytes', () => {
    const needles = buildNeedles([
      { value: '1000.00', type: 'decimal', precision: 15, scale: 2 },
      { value: '1000.0', type: 'decimal', precision: 15, scale: 2 },
    ]);
    const decimal = needles.owners.findIndex((owners) =>
      owners.some((o) => o.encoding === 'decimal'),
    );
    expect(needles.owners[decimal]).toEqual([
      { value: 0, encoding: 'decimal' },
      { value: 1, encoding: 'decimal' },
    ]);
  });
});

describe('parseColumnSpec', () => {
  it('parses a table and its columns', () => {
    expect(parseColumnSpec('Customers.Accounts:AccountNumber,Balance')).toEqual({
      database: 'Customers',
      table: 'Accounts',
      columns: ['AccountNumber', 'Balance'],
    });
  });

  it('rejects a backtick in a name', () => {
    expect(() => parseColumnSpec('db.t:`x')).toThrowError(
      expect.objectContaining({ code: 'VALUES_INVALID' }),
    );
  });
});
