import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessRunning, readProcessCommandLine, waitForProcessExit } from '../util/process.js';
import {
  DUMP_FORMATS,
  type BackendDumpOptions,
  type DumpFormat,
  type VmBackend,
  type VmRunState,
} from './backend.js';
import { VmError } from './errors.js';
import type { VmLayout } from './layout.js';
import { parseQemuCommandLine, type LiveMachine } from './live-machine.js';
import { buildQemuArgs } from './qemu-args.js';
import { QmpClient } from './qmp.js';
import { deserializeSpec, type VmRecord } from './registry.js';
import { lastLines, locateTool, runTool } from './tools.js';

const QUIT_TIMEOUT_MS = 30_000;
const DUMP_POLL_MS = 250;

/**
 * Runs VMs with QEMU directly, for hosts without libvirt: QEMU daemonizes with a pid file and
 * a QMP socket in the VM's directory, and every later command goes through QMP.
 */
export class QemuBackend implements VmBackend {
  async start(record: VmRecord, layout: VmLayout) {
    const qemu = await locateTool('qemu-system-x86_64');
    const args = buildQemuArgs(
      deserializeSpec(record.spec),
      { qmpSocket: layout.qmpSocket, pidFile: layout.pidFile },
      record.dialect,
    );
    await writeFile(layout.qemuArgs, `${JSON.stringify([qemu, ...args], null, 2)}\n`, {
      mode: 0o600,
    });
    await rm(layout.qmpSocket, { force: true });

    // With -daemonize the first process exits once the VM runs, or with an error before that.
    const result = await runTool(qemu, args, { timeoutMs: 120_000 });
    if (result.code !== 0) {
      throw new VmError(
        'START_FAILED',
        `QEMU did not start ${record.name}: ${lastLines(result.stderr, 6)}`,
        {
          hint: `the command line is in ${layout.qemuArgs}; remove the VM with: mariadb-tdx vm rm ${record.name}`,
        },
      );
    }
  }

  async state(record: VmRecord, layout: VmLayout): Promise<VmRunState> {
    if ((await this.runningPid(record, layout)) === undefined) return 'stopped';
    const qmp = await QmpClient.connect(layout.qmpSocket);
    try {
      const status = await qmp.execute<{ running: boolean; status: string }>('query-status');
      return status.running ? 'running' : 'paused';
    } finally {
      qmp.close();
    }
  }

  async pause(_record: VmRecord, layout: VmLayout) {
    await this.command(layout, 'stop');
  }

  async resume(_record: VmRecord, layout: VmLayout) {
    await this.command(layout, 'cont');
  }

  async destroy(record: VmRecord, layout: VmLayout) {
    const pid = await this.runningPid(record, layout);
    if (pid !== undefined) {
      await this.command(layout, 'quit').catch(() => undefined);
      if (!(await waitForProcessExit(pid, QUIT_TIMEOUT_MS))) {
        process.kill(pid, 'SIGKILL');
        await waitForProcessExit(pid, QUIT_TIMEOUT_MS);
      }
    }
    await rm(layout.qmpSocket, { force: true });
    await rm(layout.pidFile, { force: true });
  }

  async dumpFormats(_record: VmRecord, layout: VmLayout): Promise<DumpFormat[]> {
    const caps = await this.command<{ formats: string[] }>(
      layout,
      'query-dump-guest-memory-capability',
    );
    return DUMP_FORMATS.filter((format) => caps.formats.includes(format));
  }

  async dump(
    _record: VmRecord,
    layout: VmLayout,
    file: string,
    format: DumpFormat,
    options: BackendDumpOptions = {},
  ) {
    if (options.signal?.aborted) throw dumpInterrupted();
    const qmp = await QmpClient.connect(layout.qmpSocket);
    try {
      qmp.clearEvents();
      // paging=false gives one PT_LOAD per guest-physical RAM block, with p_paddr = GPA.
      await qmp.execute('dump-guest-memory', {
        paging: false,
        protocol: `file:${file}`,
        detach: true,
        ...(format === 'elf' ? {} : { format }),
      });
      await waitForDump(qmp, options);
    } finally {
      qmp.close();
    }
  }

  async savePhysicalMemory(
    _record: VmRecord,
    layout: VmLayout,
    address: bigint,
    size: number,
    file: string,
  ) {
    await this.command(layout, 'pmemsave', { val: Number(address), size, filename: file });
  }

  async vsockCid(record: VmRecord): Promise<number | undefined> {
    return record.spec.vsock ? record.spec.vsockCid : undefined;
  }

  /** Reads the command line of the running QEMU process, not the one recorded in vm.json. */
  async liveMachine(record: VmRecord, layout: VmLayout): Promise<LiveMachine> {
    const pid = await this.runningPid(record, layout);
    const commandLine = pid === undefined ? undefined : await readProcessCommandLine(pid);
    if (commandLine === undefined) {
      throw new VmError('VM_NOT_RUNNING', `${record.name} has no running QEMU process`);
    }
    return parseQemuCommandLine(commandLine);
  }

  /** Returns the QEMU pid from the pid file, if that process runs and is this VM's QEMU. */
  async runningPid(record: VmRecord, layout: VmLayout): Promise<number | undefined> {
    let pid: number;
    try {
      pid = Number.parseInt((await readFile(layout.pidFile, 'utf8')).trim(), 10);
    } catch {
      return undefined;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !(await isProcessRunning(pid))) return undefined;

    const commandLine = await readProcessCommandLine(pid);
    const ours = commandLine?.includes(`${record.spec.name},process=${record.spec.name}`);
    return ours ? pid : undefined;
  }

  private async command<T>(layout: VmLayout, name: string, args?: Record<string, unknown>) {
    const qmp = await QmpClient.connect(layout.qmpSocket);
    try {
      return await qmp.execute<T>(name, args);
    } finally {
      qmp.close();
    }
  }
}

/**
 * Polls `query-dump` until the detached dump ends. QMP has no command that cancels a running
 * dump, so after an abort this keeps waiting until QEMU stops writing, and only then reports
 * INTERRUPTED, leaving the caller a file that nothing writes to any more.
 */
async function waitForDump(qmp: QmpClient, options: BackendDumpOptions) {
  let waitingAfterAbort = false;
  for (;;) {
    const status = await qmp.execute<{ status: string; completed: number; total: number }>(
      'query-dump',
    );
    options.onProgress?.({ completed: status.completed, total: status.total });
    if (options.signal?.aborted && !waitingAfterAbort && status.status === 'active') {
      waitingAfterAbort = true;
      options.onWaitAfterAbort?.();
    }
    if (status.status === 'completed' || status.status === 'failed') {
      if (options.signal?.aborted) throw dumpInterrupted();
    }
    if (status.status === 'completed') return;
    if (status.status === 'failed') {
      const event = await qmp.waitForEvent('DUMP_COMPLETED', 5_000).catch(() => undefined);
      const error =
        (event?.data?.error as string | undefined) ?? 'QEMU reported the dump as failed';
      throw new VmError('DUMP_FAILED', error);
    }
    await sleep(DUMP_POLL_MS);
  }
}

function dumpInterrupted(): VmError {
  return new VmError('INTERRUPTED', 'the dump was interrupted');
}
