import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVm } from '../../src/vm/create.js';
import { dumpVm } from '../../src/vm/dump.js';
import { VmError } from '../../src/vm/errors.js';
import { vmLayout } from '../../src/vm/layout.js';
import { LibvirtBackend } from '../../src/vm/libvirt-backend.js';
import { listVms, removeVm, type VmListEntry } from '../../src/vm/lifecycle.js';
import type { VmRecord } from '../../src/vm/registry.js';
import { Virsh } from '../../src/vm/virsh.js';
import { ensureGuestImage } from '../helpers/guest-image.js';
import {
  libvirtdAvailable,
  startPrivateLibvirtd,
  type PrivateLibvirtd,
} from '../helpers/libvirtd.js';
import { vmTestsAvailable } from '../helpers/vm.js';

const available = (await vmTestsAvailable()) && (await libvirtdAvailable());
if (!available && process.env.MARIADB_TDX_REQUIRE_INTEGRATION) {
  throw new Error('the libvirt VM test needs libvirtd, virsh and root; run scripts/setup.sh');
}
const MINUTE = 60_000;

/**
 * The libvirt backend against a libvirtd of its own: define and start through virsh, the
 * console file, memory-only dumps, guest-physical reads and removal. Provisioning inside the
 * guest is the same code as with the QEMU backend and is tested there, so this VM is dumped as
 * soon as its kernel runs.
 */
describe.skipIf(!available)('regular VM through libvirt', () => {
  let libvirtd: PrivateLibvirtd;
  let work: string;
  let vmRoot: string;
  let record: VmRecord;

  beforeAll(async () => {
    const image = await ensureGuestImage();
    libvirtd = await startPrivateLibvirtd();
    work = await mkdtemp(join(tmpdir(), 'mariadb-tdx-libvirt-'));
    vmRoot = join(work, 'vms');
    const created = await createVm({
      kind: 'regular',
      name: 'lv',
      image: image.baseImage,
      vmRoot,
      memoryMiB: 512,
      cpus: 1,
      backend: 'libvirt',
      connect: libvirtd.uri,
      accel: 'tcg',
      egress: false,
      directBoot: { kernel: image.kernel, initrd: image.initrd, cmdline: image.cmdline },
      datasetRows: 0,
      wait: false,
    });
    record = created.record;
    await waitForConsole(vmLayout(vmRoot, 'lv').consoleLog, /Linux version/, 3 * MINUTE);
  }, 60 * MINUTE);

  afterAll(async () => {
    if (record) await removeVm(vmRoot, record.name).catch(() => undefined);
    await libvirtd?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 5 * MINUTE);

  it('defines the domain and reports it running', async () => {
    const virsh = await Virsh.locate(libvirtd.uri);
    expect(await virsh.domainState('mariadb-tdx-lv')).toBe('running');
    const [entry] = (await listVms(vmRoot)) as VmListEntry[];
    expect(entry?.state).toBe('running');
    expect(entry?.backend).toBe('libvirt');
  });

  it('passes the port forwards to QEMU', async () => {
    const xml = await (await Virsh.locate(libvirtd.uri)).dumpXml('mariadb-tdx-lv');
    expect(xml).toContain(`hostfwd=tcp:127.0.0.1:${record.ports.mariadb}-:3306`);
  });

  it('rejects a second VM with the same name', async () => {
    const error = await createVm({
      kind: 'regular',
      name: 'lv',
      image: record.baseImage,
      vmRoot: join(work, 'other'),
      backend: 'libvirt',
      connect: libvirtd.uri,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VmError);
    expect((error as VmError).code).toBe('VM_EXISTS');
  });

  it(
    'writes an ELF dump with virsh dump --memory-only',
    async () => {
      const dump = await dumpVm({ vmRoot, name: 'lv', output: join(work, 'lv.elf') });
      expect(dump.bytes).toBeGreaterThan(512 * 1024 * 1024);
      expect((await readFile(dump.file)).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      await rm(dump.file);
    },
    10 * MINUTE,
  );

  it(
    'writes a kdump-compressed dump on request',
    async () => {
      const dump = await dumpVm({
        vmRoot,
        name: 'lv',
        output: join(work, 'lv.kdump'),
        format: 'kdump-zlib',
      });
      expect(dump.bytes).toBeLessThan(512 * 1024 * 1024);
      expect((await readFile(dump.file)).subarray(0, 12).toString('latin1')).toBe('makedumpfile');
      await rm(dump.file);
    },
    10 * MINUTE,
  );

  it('reads guest-physical memory through the monitor', async () => {
    const file = join(work, 'page.bin');
    await new LibvirtBackend(libvirtd.uri).savePhysicalMemory(
      record,
      vmLayout(vmRoot, 'lv'),
      0x100000n,
      4096,
      file,
    );
    expect((await stat(file)).size).toBe(4096);
  });

  it('stops and undefines the domain on vm rm', async () => {
    await removeVm(vmRoot, 'lv');
    const virsh = await Virsh.locate(libvirtd.uri);
    expect(await virsh.domainState('mariadb-tdx-lv')).toBeUndefined();
    expect(await listVms(vmRoot)).toEqual([]);
  });
});

async function waitForConsole(path: string, pattern: RegExp, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (pattern.test(text)) return;
    await sleep(1000);
  }
  throw new Error(`${path} did not show ${pattern} within ${timeoutMs / 1000} s`);
}
