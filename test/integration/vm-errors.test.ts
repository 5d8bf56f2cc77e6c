import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/mariadb/binaries.js';
import { createVm } from '../../src/vm/create.js';
import { requireQcow2 } from '../../src/vm/image.js';
import { dumpVm } from '../../src/vm/dump.js';
import { removeVm } from '../../src/vm/lifecycle.js';
import { locateTool, runTool } from '../../src/vm/tools.js';
import { runCli } from '../helpers/cli.js';
import { expectVmError } from '../helpers/vm.js';

const qemuImg = await findExecutable('qemu-img');
if (!qemuImg && process.env.MARIADB_TDX_REQUIRE_INTEGRATION) {
  throw new Error('qemu-img is not installed; run scripts/setup.sh');
}

const tdxHost = existsSync('/sys/module/kvm_intel/parameters/tdx');

describe.skipIf(!qemuImg)('VM commands on bad input', () => {
  let dir: string;
  let raw: string;
  let qcow2: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mariadb-tdx-vm-errors-'));
    raw = join(dir, 'disk.raw');
    qcow2 = join(dir, 'disk.qcow2');
    await writeFile(raw, Buffer.alloc(1024 * 1024));
    await runTool(qemuImg!, ['create', '-q', '-f', 'qcow2', qcow2, '64M']);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects an image that is not qcow2 and says how to convert it', async () => {
    const error = await expectVmError(requireQcow2(raw), 'IMAGE_NOT_QCOW2');
    expect(error.hint).toMatch(/qemu-img convert -O qcow2/);
  });

  it('conversion hint never overwrites its input', async () => {
    const misnamed = join(dir, "raw disk's.qcow2");
    await writeFile(misnamed, Buffer.alloc(1024 * 1024));
    const error = await expectVmError(requireQcow2(misnamed), 'IMAGE_NOT_QCOW2');
    const converted = join(dir, "raw disk's-converted.qcow2");
    const quote = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;
    expect(error.hint).toBe(
      `convert it: qemu-img convert -O qcow2 ${quote(misnamed)} ${quote(converted)}`,
    );
    await rm(misnamed);
  });

  it('dry run checks its input', async () => {
    const vmRoot = join(dir, 'dry-checks');
    await mkdir(join(vmRoot, 'taken'), { recursive: true });
    const base = { kind: 'regular', vmRoot, backend: 'libvirt', dryRun: true } as const;
    await expectVmError(
      createVm({ ...base, image: join(dir, 'missing.qcow2') }),
      'IMAGE_NOT_FOUND',
    );
    await expectVmError(createVm({ ...base, image: raw }), 'IMAGE_NOT_QCOW2');
    await expectVmError(createVm({ ...base, image: dir }), 'IMAGE_NOT_QCOW2');
    await expectVmError(createVm({ ...base, image: qcow2, name: 'taken' }), 'VM_EXISTS');
    await expect(
      createVm({
        ...base,
        image: qcow2,
        directBoot: { kernel: join(dir, 'no-vmlinuz'), cmdline: 'console=ttyS0' },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/--kernel/) });
    expect(await readdir(vmRoot)).toEqual(['taken']);
  });

  it('dry run checks --ssh-key', async () => {
    const result = await runCli([
      ...['vm', 'create', '--regular', '--image', qcow2, '--dry-run'],
      ...['--vm-dir', join(dir, 'dry-ssh'), '--ssh-key', join(dir, 'missing.pub')],
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/missing\.pub/);
  });

  it('rejects an image that does not exist', async () => {
    await expectVmError(requireQcow2(join(dir, 'missing.qcow2')), 'IMAGE_NOT_FOUND');
  });

  it('accepts a qcow2 image', async () => {
    expect((await requireQcow2(qcow2)).format).toBe('qcow2');
  });

  it('names the package of a missing tool', async () => {
    const error = await expectVmError(locateTool('qemu-img', [dir]), 'TOOL_MISSING');
    expect(error.hint).toContain('apt-get install qemu-utils');
  });

  it('says how to reach libvirt when no daemon responds', async () => {
    const error = await expectVmError(
      createVm({
        kind: 'regular',
        image: qcow2,
        vmRoot: join(dir, 'vms'),
        backend: 'libvirt',
        connect: `qemu:///system?socket=${join(dir, 'no-libvirt.sock')}`,
      }),
      'VIRSH_FAILED',
    );
    expect(error.hint).toMatch(/libvirt-daemon-system|--qemu/);
  });

  it.skipIf(tdxHost)('refuses to start a TD on a host without TDX', async () => {
    const error = await expectVmError(
      createVm({ kind: 'td', image: qcow2, vmRoot: join(dir, 'vms'), backend: 'qemu' }),
      'TDX_UNAVAILABLE',
    );
    expect(error.hint).toMatch(/host check/);
  });

  it('refuses a key broker for a regular VM or a TD without egress', async () => {
    const keyBroker = { url: 'https://10.0.2.2:8443', caPem: '', keyset: 'mariadb' } as const;
    const base = { image: qcow2, vmRoot: join(dir, 'kbs'), dryRun: true };
    await expect(
      createVm({ ...base, kind: 'regular', keyBroker: { ...keyBroker, delivery: 'vault' } }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION', hint: expect.stringMatching(/--tdx/) });
    await expect(
      createVm({
        ...base,
        kind: 'td',
        egress: false,
        keyBroker: { ...keyBroker, delivery: 'vault' },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/egress/) });
  });

  it('writes a TD definition in a dry run without creating anything', async () => {
    const vmRoot = join(dir, 'dry');
    const result = await createVm({
      kind: 'td',
      image: qcow2,
      vmRoot,
      backend: 'libvirt',
      dryRun: true,
    });
    expect(result.definition).toContain('<launchSecurity type="tdx">');
    expect(result.record.tdPolicy).toBe('0x10000000');
    await expect(readdir(vmRoot)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('dry run warns about firmware without TDVF', async () => {
    const warnings: string[] = [];
    const result = await createVm({
      kind: 'td',
      image: qcow2,
      vmRoot: join(dir, 'dry-firmware'),
      backend: 'libvirt',
      firmware: raw,
      dryRun: true,
      onWarning: (warning) => warnings.push(warning),
    });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/has no TDVF metadata/);
    expect(warnings).toEqual(result.warnings);
  });

  it('reports an unknown VM by name', async () => {
    await expectVmError(
      dumpVm({ vmRoot: join(dir, 'vms'), name: 'nope', output: join(dir, 'x.elf') }),
      'VM_NOT_FOUND',
    );
    await expectVmError(removeVm(join(dir, 'vms'), 'nope'), 'VM_NOT_FOUND');
  });

  it('rejects an invalid VM name before touching anything', async () => {
    await expectVmError(
      createVm({
        kind: 'regular',
        image: qcow2,
        vmRoot: join(dir, 'vms'),
        name: '../x',
        backend: 'qemu',
      }),
      'INVALID_NAME',
    );
  });
});
