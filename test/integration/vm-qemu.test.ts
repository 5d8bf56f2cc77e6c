import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVm } from '../../src/vm/create.js';
import { dumpVm } from '../../src/vm/dump.js';
import { connectVm } from '../../src/vm/guest-link.js';
import { vmLayout } from '../../src/vm/layout.js';
import { listVms, removeVm, waitForVm, type VmListEntry } from '../../src/vm/lifecycle.js';
import { readVmRecord, writeVmRecord, type VmRecord } from '../../src/vm/registry.js';
import { QemuBackend } from '../../src/vm/qemu-backend.js';
import { runTool } from '../../src/vm/tools.js';
import { leakTest } from '../../src/vm/leak-test.js';
import { scanDump } from '../../src/vm/leak-scan.js';
import { runCli } from '../helpers/cli.js';
import { ensureGuestImage, type GuestImage } from '../helpers/guest-image.js';
import { expectVmError, secondsSince, vmTestsAvailable } from '../helpers/vm.js';

const execFileAsync = promisify(execFile);
const available = await vmTestsAvailable();
const MINUTE = 60_000;
const log = (line: string) => process.stderr.write(`  [vm test] ${line}\n`);

function readBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.setTimeout(30_000, () => reject(new Error('no SSH banner within 30 s')));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString('latin1'));
    });
    socket.once('error', reject);
  });
}

describe.skipIf(!available)('regular VM under QEMU software emulation', () => {
  const timings: Record<string, number> = {};
  let image: GuestImage;
  let work: string;
  let vmRoot: string;
  let record: VmRecord;
  let sshKey: string;

  beforeAll(async () => {
    let started = Date.now();
    image = await ensureGuestImage(log);
    timings.imageSeconds = image.built ? secondsSince(started) : 0;
    log(
      image.built
        ? `built the guest image in ${timings.imageSeconds} s`
        : 'guest image from the cache',
    );

    work = await mkdtemp(join(tmpdir(), 'mariadb-tdx-vm-'));
    vmRoot = join(work, 'vms');
    sshKey = join(work, 'id_ed25519');
    await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', sshKey]);

    started = Date.now();
    const created = await createVm({
      kind: 'regular',
      name: 'regular-e2e',
      image: image.baseImage,
      vmRoot,
      memoryMiB: 1024,
      cpus: 2,
      backend: 'qemu',
      accel: 'tcg',
      egress: false,
      datasetRows: 200,
      directBoot: { kernel: image.kernel, initrd: image.initrd, cmdline: image.cmdline },
      sshAuthorizedKeys: [(await readFile(`${sshKey}.pub`, 'utf8')).trim()],
      wait: false,
      onStep: (step) => log(`${secondsSince(started)} s: ${step}`),
    });
    expect(created.record.guest).toBeUndefined();
    // vm wait picks up a VM whose create returned before the guest was ready.
    record = await waitForVm(vmRoot, created.record.name, {
      timeoutMs: 30 * MINUTE,
      onStage: (stage) => log(`${secondsSince(started)} s: guest: ${stage}`),
    });
    timings.bootToReadySeconds = secondsSince(started);
  }, 60 * MINUTE);

  afterAll(async () => {
    if (vmRoot && record) await removeVm(vmRoot, record.name).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
    log(`timings: ${JSON.stringify(timings)}`);
  }, 5 * MINUTE);

  it('answers over TLS through the port forward with the hardened profile', async () => {
    const connection = await connectVm(record, vmLayout(vmRoot, record.name));
    try {
      const [row] = (await connection.query(
        'SELECT @@require_secure_transport AS tls, @@innodb_encrypt_tables AS tables, ' +
          "(SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_version') AS version, " +
          '(SELECT COUNT(*) FROM Customers.Individuals) AS customers',
      )) as { tls: number; tables: string; version: string; customers: bigint }[];
      expect(Number(row?.tls)).toBe(1);
      expect(row?.tables).toBe('FORCE');
      expect(row?.version).toMatch(/^TLSv1\.[23]$/);
      expect(Number(row?.customers)).toBe(202);
    } finally {
      await connection.end();
    }
  });

  it('reports itself as not a TD', () => {
    expect(record.guest?.isTd).toBe(false);
  });

  it('forwards SSH on host loopback to the guest', async () => {
    expect(await readBanner(record.ports.ssh)).toMatch(/^SSH-2\.0-OpenSSH/);
  });

  it(
    'runs guest check in the guest over SSH',
    async () => {
      const result = await runTool(
        'ssh',
        [
          ...['-i', sshKey, '-p', String(record.ports.ssh), '-o', 'BatchMode=yes'],
          ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
          'root@127.0.0.1',
          '/opt/mariadb-tdx/bin/mariadb-tdx guest check --json',
        ],
        { timeoutMs: 5 * MINUTE },
      );
      // guest check exits 1 outside a TD and still prints its report.
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as {
        isTd: boolean;
        checks: { id: string; status: string }[];
      };
      expect(report.isTd).toBe(false);
      expect(report.checks.find((c) => c.id === 'td-detected')?.status).toBe('fail');
    },
    6 * MINUTE,
  );

  it('lists the VM as running with its forwarded ports', async () => {
    const [entry] = (await listVms(vmRoot)) as VmListEntry[];
    expect(entry?.name).toBe('regular-e2e');
    expect(entry?.state).toBe('running');
    expect(entry?.sshPort).toBe(record.ports.ssh);
    expect(entry?.mariadbPort).toBe(record.ports.mariadb);
    expect(entry?.guestReady).toBe(true);
  });

  it('rejects a second VM with the same name', async () => {
    await expectVmError(
      createVm({
        kind: 'regular',
        name: 'regular-e2e',
        image: image.baseImage,
        vmRoot,
        backend: 'qemu',
      }),
      'VM_EXISTS',
    );
  });

  it(
    'writes an ELF dump of guest memory over QMP',
    async () => {
      const started = Date.now();
      const dump = await dumpVm({ vmRoot, name: record.name, output: join(work, 'regular.elf') });
      timings.elfDumpSeconds = secondsSince(started);
      expect(dump.format).toBe('elf');
      expect(dump.bytes).toBeGreaterThan(1024 * 1024 * 1024);
      const header = await readFile(dump.file).then((data) => data.subarray(0, 4));
      expect(header.toString('latin1')).toBe('\x7fELF');
      await expectVmError(dumpVm({ vmRoot, name: record.name, output: dump.file }), 'DUMP_EXISTS');
      await rm(dump.file);
    },
    10 * MINUTE,
  );

  it(
    'finds planted values at guest-physical addresses QEMU confirms',
    async () => {
      const started = Date.now();
      const report = await leakTest({
        vmRoot,
        names: [record.name],
        customers: 3,
        scanner: scanDump,
      });
      timings.leakTestSeconds = secondsSince(started);
      const [vm] = report.vms;
      expect(vm?.planted).toBe(12);
      expect(vm?.found).toBe(12);
      expect(vm?.controlsFound).toBe(0);
      expect(vm?.addressesChecked).toBeGreaterThan(0);
      expect(vm?.addressesConfirmed).toBe(vm?.addressesChecked);
      expect(vm?.examples[0]?.address).toMatch(/^0x[0-9a-f]+$/);
      expect(vm?.verdict).toBe('readable');
      expect(report.passed).toBe(true);
      expect(report.notes.join(' ')).toMatch(/No TD took part/);
      // The report names columns and addresses, never the planted values.
      expect(JSON.stringify(report)).not.toContain('@example.net');
      expect(await new QemuBackend().state(record, vmLayout(vmRoot, record.name))).toBe('running');
    },
    10 * MINUTE,
  );

  it(
    'interrupted leak-test resumes the VM',
    async () => {
      const controller = new AbortController();
      await expectVmError(
        leakTest({
          vmRoot,
          names: [record.name],
          customers: 1,
          scanner: scanDump,
          signal: controller.signal,
          onStep: (step) => {
            if (step.includes('dumping')) controller.abort();
          },
        }),
        'INTERRUPTED',
      );
      expect(await new QemuBackend().state(record, vmLayout(vmRoot, record.name))).toBe('running');
      expect((await readdir(vmRoot)).filter((name) => name.startsWith('.leak-test-'))).toEqual([]);
    },
    10 * MINUTE,
  );

  it(
    'runs leak-test from the command line with exit status 0',
    async () => {
      // As after a create that stopped waiting: leak-test picks the guest up from its console.
      await writeVmRecord(vmLayout(vmRoot, record.name), { ...record, guest: undefined });
      const result = await runCli(
        ['leak-test', '--vms', record.name, '--customers', '1', '--json'],
        {
          env: { MARIADB_TDX_VM_DIR: vmRoot },
        },
      );
      expect(result.status).toBe(0);
      const report = JSON.parse(result.stdout) as { passed: boolean; vms: { verdict: string }[] };
      expect(report.passed).toBe(true);
      expect(report.vms[0]?.verdict).toBe('readable');
      expect(result.stdout).not.toContain('@example.net');
      expect((await readVmRecord(vmRoot, record.name)).guest?.isTd).toBe(false);
    },
    10 * MINUTE,
  );

  describe('on a full file system', () => {
    let small: string;

    beforeAll(async () => {
      small = join(work, 'small');
      await mkdir(small);
      await execFileAsync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', small]);
    });
    afterAll(async () => {
      await execFileAsync('umount', [small]).catch(() => undefined);
    });

    it('rejects an ELF dump before writing when the space cannot hold it', async () => {
      const error = await expectVmError(
        dumpVm({ vmRoot, name: record.name, output: join(small, 'a.elf') }),
        'DUMP_NO_SPACE',
      );
      expect(error.message).toMatch(/MiB free/);
      expect(await readdir(small)).toEqual([]);
    });

    it(
      'removes the partial file when the disk fills during the dump',
      async () => {
        const error = await expectVmError(
          dumpVm({ vmRoot, name: record.name, output: join(small, 'b.elf'), checkSpace: false }),
          'DUMP_NO_SPACE',
        );
        expect(error.message).toMatch(/partial file was removed/);
        expect(await readdir(small)).toEqual([]);
        expect(await new QemuBackend().state(record, vmLayout(vmRoot, record.name))).toBe(
          'running',
        );
      },
      5 * MINUTE,
    );
  });
});

describe.skipIf(!available)('a guest that never becomes ready', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mariadb-tdx-vm-timeout-'));
  });
  afterAll(async () => {
    await removeVm(join(work, 'vms'), 'no-root').catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  it(
    'times out with the last console lines',
    async () => {
      const image = await ensureGuestImage(log);
      const error = await expectVmError(
        createVm({
          kind: 'regular',
          name: 'no-root',
          image: image.baseImage,
          vmRoot: join(work, 'vms'),
          memoryMiB: 512,
          cpus: 1,
          backend: 'qemu',
          accel: 'tcg',
          egress: false,
          // No such disk: the initramfs gives up after rootdelay and waits in its shell.
          directBoot: {
            kernel: image.kernel,
            initrd: image.initrd,
            cmdline: 'console=ttyS0 root=/dev/vdz rootdelay=3',
          },
          timeoutMs: MINUTE,
        }),
        'GUEST_TIMEOUT',
      );
      expect(error.message).toMatch(/last console lines/);
      expect(error.message).toMatch(/vdz|initramfs|Gave up/);
      expect(error.hint).toMatch(/vm rm no-root/);
    },
    60 * MINUTE,
  );
});
