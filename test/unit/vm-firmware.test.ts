import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guidBytes, isTdvfImage } from '../../src/vm/firmware.js';

const FOOTER_GUID = '96b582de-1fb2-45f7-baea-a366c55a082d';
const TDX_GUID = 'e47a6535-984a-4798-865e-4685a7bf8ec2';
const OTHER_GUID = 'dc886566-984a-4798-a75e-5585a7bf67cc';

/**
 * Builds a 64 KiB image laid out like OVMF's tail: a TDVF descriptor, then the GUIDed table
 * (an unrelated entry, the TDX metadata entry, the footer) and 32 bytes of reset vector.
 */
function firmwareImage(options: { signature?: string; tdxGuid?: string } = {}): Buffer {
  const image = Buffer.alloc(64 * 1024, 0xff);
  const descriptor = 0x8000;
  image.write(options.signature ?? 'TDVF', descriptor, 'latin1');

  const entry = (guid: string, data: Buffer) => {
    const length = Buffer.alloc(2);
    length.writeUInt16LE(data.length + 18);
    return Buffer.concat([data, length, guidBytes(guid)]);
  };
  const distance = Buffer.alloc(4);
  distance.writeUInt32LE(image.length - descriptor);
  const entries = Buffer.concat([
    entry(OTHER_GUID, Buffer.alloc(4)),
    entry(options.tdxGuid ?? TDX_GUID, distance),
  ]);
  const footer = Buffer.alloc(18);
  footer.writeUInt16LE(entries.length + 18);
  guidBytes(FOOTER_GUID).copy(footer, 2);
  const table = Buffer.concat([entries, footer]);
  table.copy(image, image.length - 32 - table.length);
  return image;
}

describe('isTdvfImage', () => {
  let dir: string;
  const write = async (name: string, data: Buffer) => {
    const path = join(dir, name);
    await writeFile(path, data);
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mariadb-tdx-firmware-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('encodes GUIDs in EFI byte order', () => {
    expect(guidBytes(TDX_GUID).toString('hex')).toBe('35657ae44a989847865e4685a7bf8ec2');
  });

  it('recognises TDVF metadata', async () => {
    expect(await isTdvfImage(await write('tdvf.fd', firmwareImage()))).toBe(true);
  });

  it('rejects a wrong descriptor signature', async () => {
    const path = await write('sig.fd', firmwareImage({ signature: 'OVMF' }));
    expect(await isTdvfImage(path)).toBe(false);
  });

  it('rejects a table without the TDX entry', async () => {
    const path = await write('no-tdx.fd', firmwareImage({ tdxGuid: OTHER_GUID }));
    expect(await isTdvfImage(path)).toBe(false);
  });

  it('rejects other files', async () => {
    expect(await isTdvfImage(await write('zeros.fd', Buffer.alloc(2 * 1024 * 1024)))).toBe(false);
    expect(await isTdvfImage(await write('tiny.fd', Buffer.from('TDVF')))).toBe(false);
    expect(await isTdvfImage(join(dir, 'missing.fd'))).toBe(false);
    expect(await isTdvfImage(dir)).toBe(false);
  });
});
