import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVm, type CreateVmOptions } from '../../src/vm/create.js';
import { dumpVm } from '../../src/vm/dump.js';
import { vmLayout } from '../../src/vm/layout.js';
import { listVms, removeVm } from '../../src/vm/lifecycle.js';
import { QemuBackend } from '../../src/vm/qemu-backend.js';
import { QmpClient } from '../../src/vm/qmp.js';
import { waitForGuest } from '../../src/vm/ready.js';
import { writeVmRecord } from '../../src/vm/registry.js';
import { findExecutable } from '../../src/mariadb/binaries.js';
import { runTool } from '../../src/vm/tools.js';
import { pathExists } from '../../src/util/fs.js';
import { formatAnnouncement } from '../../src/vm/announce.js';
import { scanDump } from '../../src/vm/leak-scan.js';
import { leakTest } from '../../src/vm/leak-test.js';
import { runCli } from '../helpers/cli.js';
import { generateTestRoot } from '../helpers/test-chain.js';
import { qemuAvailable, scratchRecord, startScratchVm, type ScratchVm } from '../helpers/qemu.js';
import { expectVmError } from '../helpers/vm.js';

const available = await qemuAvailable();

/**
 * Host commands against a small QEMU process driven by the QEMU backend: no guest OS, so each
 * case runs in seconds while QEMU, QMP and the dump files are real.
 */
describe.skipIf(!available)('VM commands on a scratch QEMU', () => {
  let work: string;
  let vmRoot: string;
  let vm: ScratchVm;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mariadb-tdx-scratch-'));
    vmRoot = join(work, 'vms');
    vm = await startScratchVm(vmRoot, 'scratch', { memoryMiB: 256 });
  });

  afterAll(async () => {
    if (vm) await removeVm(vmRoot, vm.record.name).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const entriesOf = async (dir: string) => (await readdir(dir)).sort();

  it('live machine reads the running QEMU', async () => {
    // vm.json could claim anything; the process's command line shows TCG and no tdx-guest.
    const recordedTd = { ...vm.record, kind: 'td', tdPolicy: '0x10000000' } as const;
    const live = await new QemuBackend().liveMachine(recordedTd, vm.layout);
    expect(live).toEqual({ accel: 'tcg', tdx: false, tdPolicy: undefined });
  });

  it('wait hints at a silent console', async () => {
    let hints = 0;
    await writeFile(vm.layout.consoleLog, '');
    await expectVmError(
      waitForGuest(vm.record, vm.layout, new QemuBackend(), {
        timeoutMs: 1500,
        pollMs: 100,
        silentConsoleMs: 300,
        onSilentConsole: () => hints++,
      }),
      'GUEST_TIMEOUT',
    );
    expect(hints).toBe(1);
  });

  it('dump --force rejects a device node', async () => {
    const error = await expectVmError(
      dumpVm({ vmRoot, name: 'scratch', output: '/dev/null', force: true }),
      'DUMP_EXISTS',
    );
    expect(error.message).toMatch(/device/);
    expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true);
  });

  it('dump --force rejects a directory and a link', async () => {
    const dir = join(work, 'dir-output');
    await mkdir(dir);
    await writeFile(join(dir, 'keep'), 'keep');
    const error = await expectVmError(
      dumpVm({ vmRoot, name: 'scratch', output: dir, force: true }),
      'DUMP_EXISTS',
    );
    expect(error.message).toMatch(/directory/);
    expect(await readFile(join(dir, 'keep'), 'utf8')).toBe('keep');

    const target = join(work, 'link-target');
    const link = join(work, 'link.elf');
    await writeFile(target, 'target');
    await symlink(target, link);
    await expectVmError(
      dumpVm({ vmRoot, name: 'scratch', output: link, force: true }),
      'DUMP_EXISTS',
    );
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('target');
  });

  it('dump keeps the old file when space is short', async () => {
    const dir = join(work, 'space');
    await mkdir(dir);
    const output = join(dir, 'old.elf');
    await writeFile(output, 'old dump');
    // The space check trusts the recorded memory size, so a huge one cannot fit anywhere.
    await writeVmRecord(vm.layout, { ...vm.record, memoryMiB: 1024 ** 4 });
    try {
      await expectVmError(
        dumpVm({ vmRoot, name: 'scratch', output, force: true }),
        'DUMP_NO_SPACE',
      );
    } finally {
      await writeVmRecord(vm.layout, vm.record);
    }
    expect(await readFile(output, 'utf8')).toBe('old dump');
    expect(await entriesOf(dir)).toEqual(['old.elf']);
  });

  it('dump --force replaces a regular file whole', async () => {
    const dir = join(work, 'replace');
    await mkdir(dir);
    const output = join(dir, 'vm.elf');
    await writeFile(output, 'old dump');
    const result = await dumpVm({ vmRoot, name: 'scratch', output, force: true });
    expect(result.bytes).toBeGreaterThan(256 * 1024 * 1024);
    expect((await readFile(output)).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(await entriesOf(dir)).toEqual(['vm.elf']);
  });

  it('dump without --force keeps an existing file', async () => {
    const dir = join(work, 'exists');
    await mkdir(dir);
    const output = join(dir, 'vm.elf');
    await writeFile(output, 'old dump');
    await expectVmError(dumpVm({ vmRoot, name: 'scratch', output }), 'DUMP_EXISTS');
    expect(await readFile(output, 'utf8')).toBe('old dump');
  });

  it('interrupted dump waits for QEMU and removes the file', async () => {
    const dir = join(work, 'interrupt');
    await mkdir(dir);
    const controller = new AbortController();
    let waited = 0;
    const error = await expectVmError(
      dumpVm({
        vmRoot,
        name: 'scratch',
        output: join(dir, 'vm.elf'),
        signal: controller.signal,
        onProgress: () => controller.abort(),
        onWaitAfterAbort: () => waited++,
      }),
      'INTERRUPTED',
    );
    expect(error.message).toMatch(/partial file was removed/);
    expect(waited).toBeLessThanOrEqual(1);
    expect(await entriesOf(dir)).toEqual([]);

    const qmp = await QmpClient.connect(vm.layout.qmpSocket);
    try {
      const status = await qmp.execute<{ status: string }>('query-dump');
      expect(status.status).not.toBe('active');
    } finally {
      qmp.close();
    }
  });
});

const createTools = available && (await findExecutable('genisoimage')) !== undefined;

/** Lists the pids of running processes whose command line contains `text`. */
async function processesWith(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * vm create with the QEMU backend on a blank qcow2 image: QEMU starts and finds nothing to
 * boot, which is enough to check what create writes and what it removes.
 */
describe.skipIf(!createTools)('vm create on a blank image', () => {
  let work: string;
  let vmRoot: string;
  let base: CreateVmOptions;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mariadb-tdx-create-'));
    vmRoot = join(work, 'vms');
    const image = join(work, 'blank.qcow2');
    await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', image, '64M']);
    base = {
      kind: 'regular',
      image,
      vmRoot,
      memoryMiB: 512,
      cpus: 1,
      backend: 'qemu',
      accel: 'tcg',
      egress: false,
      vsock: 'off',
      bundle: false,
      datasetRows: 0,
    };
  });

  afterAll(async () => {
    for (const name of ['private', 'race']) {
      await removeVm(vmRoot, name).catch(() => undefined);
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('create makes VM files private', async () => {
    await createVm({ ...base, name: 'private', wait: false });
    const layout = vmLayout(vmRoot, 'private');
    try {
      expect((await stat(layout.dir)).mode & 0o777).toBe(0o700);
      for (const file of [layout.overlay, layout.seedIso, layout.consoleLog, layout.record]) {
        expect({ file, mode: (await stat(file)).mode & 0o777 }).toEqual({ file, mode: 0o600 });
      }
    } finally {
      await removeVm(vmRoot, 'private');
    }
  });

  it('interrupted create removes the VM', async () => {
    const controller = new AbortController();
    const error = await expectVmError(
      createVm({
        ...base,
        name: 'interrupted',
        signal: controller.signal,
        timeoutMs: 60_000,
        onStep: (step) => {
          if (step.startsWith('starting')) setTimeout(() => controller.abort(), 1500);
        },
      }),
      'INTERRUPTED',
    );
    expect(error.message).toMatch(/interrupted/);
    await expect(stat(vmLayout(vmRoot, 'interrupted').dir)).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(await processesWith('mariadb-tdx-interrupted,process=')).toEqual([]);
  });

  it('concurrent create keeps the winner', async () => {
    const results = await Promise.allSettled([
      createVm({ ...base, name: 'race', wait: false }),
      createVm({ ...base, name: 'race', wait: false }),
    ]);
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'VM_EXISTS' });

    const layout = vmLayout(vmRoot, 'race');
    expect((await stat(layout.record)).isFile()).toBe(true);
    expect((await stat(layout.overlay)).isFile()).toBe(true);
    await removeVm(vmRoot, 'race');
  });
});

describe.skipIf(!available)('broken VM directories', () => {
  let work: string;
  let vmRoot: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mariadb-tdx-broken-'));
    vmRoot = join(work, 'vms');
  });

  afterAll(async () => {
    for (const name of ['good', 'broken', 'half']) {
      await removeVm(vmRoot, name).catch(() => undefined);
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('list and rm survive a broken vm.json', async () => {
    await writeVmRecord(vmLayout(vmRoot, 'good'), scratchRecord('good'));
    await mkdir(vmLayout(vmRoot, 'broken').dir);
    await writeFile(vmLayout(vmRoot, 'broken').record, '{"tool":');

    const entries = await listVms(vmRoot);
    expect(entries.map((entry) => [entry.name, entry.state])).toEqual([
      ['broken', 'invalid'],
      ['good', 'stopped'],
    ]);
    expect(entries[0]).toMatchObject({ hint: 'remove it with: mariadb-tdx vm rm broken' });

    const listed = await runCli(['vm', 'list', '--json', '--vm-dir', vmRoot]);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(2);

    const removed = await runCli(['vm', 'rm', 'broken', '--vm-dir', vmRoot]);
    expect(removed.status).toBe(0);
    expect(await readdir(vmRoot)).toEqual(['good']);
  });

  it('list and rm survive a partial vm.json and a directory', async () => {
    await mkdir(vmLayout(vmRoot, 'partial').dir);
    await writeFile(
      vmLayout(vmRoot, 'partial').record,
      JSON.stringify({ tool: 'mariadb-tdx', format: 1, name: 'partial' }),
    );
    await mkdir(vmLayout(vmRoot, 'dirjson').record, { recursive: true });

    const listed = await runCli(['vm', 'list', '--json', '--vm-dir', vmRoot]);
    expect(listed.status).toBe(0);
    const entries = JSON.parse(listed.stdout) as { name: string; state: string; error?: string }[];
    expect(entries.find((entry) => entry.name === 'partial')).toMatchObject({
      state: 'invalid',
      error: expect.stringContaining('lacks kind, backend'),
    });
    expect(entries.find((entry) => entry.name === 'dirjson')?.state).toBe('invalid');

    for (const name of ['partial', 'dirjson']) {
      const removed = await runCli(['vm', 'rm', name, '--vm-dir', vmRoot]);
      expect(removed.status).toBe(0);
      expect(await pathExists(vmLayout(vmRoot, name).dir)).toBe(false);
    }
  });

  it('rm stops a half-created VM', async () => {
    // A create killed before vm.json was written: the directory and QEMU, nothing else.
    const { layout } = await startScratchVm(vmRoot, 'half');
    await rm(layout.record);
    expect(await processesWith('mariadb-tdx-half,process=')).toHaveLength(1);
    expect((await listVms(vmRoot)).find((entry) => entry.name === 'half')?.state).toBe('invalid');

    const result = await removeVm(vmRoot, 'half');
    expect(result.warnings).toEqual([]);
    await expect(stat(layout.dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await processesWith('mariadb-tdx-half,process=')).toEqual([]);
  });

  it('rm says removed for a QEMU VM', async () => {
    await startScratchVm(vmRoot, 'half');
    const result = await runCli(['vm', 'rm', 'half', '--vm-dir', vmRoot]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/mariadb-tdx-half stopped and removed/);
    expect(result.stdout).not.toMatch(/undefined/);
  });
});

describe.skipIf(!available)('leak-test on unhealthy VMs', () => {
  let work: string;
  let vmRoot: string;
  let vm: ScratchVm;
  const leak = (names: string[]) => leakTest({ vmRoot, names, scanner: scanDump });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mariadb-tdx-unhealthy-'));
    vmRoot = join(work, 'vms');
    vm = await startScratchVm(vmRoot, 'sick');
  });

  afterAll(async () => {
    if (vm) await removeVm(vmRoot, 'sick').catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const resume = async () => {
    const qmp = await QmpClient.connect(vm.layout.qmpSocket);
    await qmp.execute('cont').finally(() => qmp.close());
  };

  it('leak-test rejects repeated names', async () => {
    await expect(leak(['sick', 'sick'])).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/sick more than once/),
    });
  });

  it('leak-test says a VM is paused', async () => {
    const error = await expectVmError(leak(['sick']), 'VM_NOT_RUNNING');
    expect(error.message).toMatch(/^sick is paused/);
    expect(error.hint).toContain(`UNIX-CONNECT:${vm.layout.qmpSocket}`);
  });

  it('leak-test points a VM not ready to vm wait', async () => {
    await resume();
    await writeFile(vm.layout.consoleLog, 'Booting the kernel\n');
    const error = await expectVmError(leak(['sick']), 'VM_STATE_INVALID');
    expect(error.message).toMatch(/^sick has not reported MariaDB ready/);
    expect(error.hint).toMatch(/mariadb-tdx vm wait sick/);
  });

  it('leak-test names a VM whose MariaDB is down', async () => {
    // The console reports ready, but nothing listens on the recorded port.
    const pem = (await generateTestRoot('guest CA')).pem;
    await writeFile(
      vm.layout.consoleLog,
      [
        formatAnnouncement({ type: 'ca', pem }),
        formatAnnouncement({ type: 'ready', port: 3306, version: '11.8.3-MariaDB' }),
        '',
      ].join('\n'),
    );
    await mkdir(vm.layout.secretsDir, { recursive: true });
    await writeFile(vm.layout.adminPasswordFile, 'not-a-real-password\n');
    const error = await expectVmError(leak(['sick']), 'GUEST_UNREACHABLE');
    expect(error.message).toMatch(/^sick: MariaDB in the guest failed/);
    expect(error.hint).toMatch(/systemctl start mariadb-tdx/);
    expect(error.hint).toContain(`-p ${vm.record.ports.ssh}`);
    expect(await readFile(vm.layout.guestCa, 'utf8')).toBe(pem);
  });
});
