import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable } from '../../src/mariadb/binaries.js';
import { vmLayout, type VmLayout } from '../../src/vm/layout.js';
import { writeVmRecord, type SerializedSpec, type VmRecord } from '../../src/vm/registry.js';
import { runTool } from '../../src/vm/tools.js';

const QEMU = 'qemu-system-x86_64';

/** True when QEMU is installed; with MARIADB_TDX_REQUIRE_INTEGRATION set, a missing QEMU fails. */
export async function qemuAvailable(): Promise<boolean> {
  const found = (await findExecutable(QEMU)) !== undefined;
  if (!found && process.env.MARIADB_TDX_REQUIRE_INTEGRATION) {
    throw new Error(
      `${QEMU} is not installed but MARIADB_TDX_REQUIRE_INTEGRATION is set; run scripts/setup.sh --test`,
    );
  }
  return found;
}

async function qmpSession(socket: string) {
  for (let attempt = 0; ; attempt++) {
    try {
      const connection = createConnection(socket);
      await new Promise<void>((resolve, reject) =>
        connection.once('connect', resolve).once('error', reject),
      );
      const lines = createInterface({ input: connection })[Symbol.asyncIterator]();
      await lines.next(); // greeting
      const command = async (execute: string, args?: object) => {
        connection.write(`${JSON.stringify(args ? { execute, arguments: args } : { execute })}\n`);
        for (;;) {
          const { value } = await lines.next();
          const reply = JSON.parse(value as string) as {
            return?: unknown;
            error?: { desc: string };
          };
          if (reply.error) throw new Error(`QMP ${execute}: ${reply.error.desc}`);
          if ('return' in reply) return reply.return;
        }
      };
      return { command, close: () => connection.destroy() };
    } catch (error) {
      if (attempt > 100) throw error;
      await sleep(100);
    }
  }
}

/**
 * Starts a paused 64 MiB QEMU guest (TCG, no firmware run) with `data` in its RAM at guest
 * physical `address`, and writes real dumps of it through QMP dump-guest-memory.
 */
export async function dumpGuestMemory(
  dir: string,
  data: Uint8Array,
  address: number,
  formats: readonly ('elf' | 'kdump-zlib')[],
): Promise<Record<string, string>> {
  const planted = join(dir, 'planted.bin');
  const socket = join(dir, 'qmp.sock');
  await writeFile(planted, data);
  const qemu = spawn(
    QEMU,
    [
      '-machine',
      'q35,accel=tcg',
      '-m',
      '64',
      '-display',
      'none',
      '-nodefaults',
      '-S',
      '-device',
      `loader,file=${planted},addr=0x${address.toString(16)},force-raw=on`,
      '-qmp',
      `unix:${socket},server=on,wait=off`,
    ],
    { stdio: 'ignore' },
  );
  const outputs: Record<string, string> = {};
  try {
    const qmp = await qmpSession(socket);
    await qmp.command('qmp_capabilities');
    for (const format of formats) {
      const path = join(dir, `guest.${format}`);
      await qmp.command('dump-guest-memory', { paging: false, protocol: `file:${path}`, format });
      outputs[format] = path;
    }
    await qmp.command('quit').catch(() => undefined);
    qmp.close();
  } finally {
    if (qemu.exitCode === null) qemu.kill();
  }
  return outputs;
}

/** A VM record and directory around a small QEMU process that the QEMU backend can drive. */
export interface ScratchVm {
  readonly record: VmRecord;
  readonly layout: VmLayout;
}

/** Builds the vm.json of a QEMU-backend VM named `name` without starting anything. */
export function scratchRecord(
  name: string,
  options: { memoryMiB?: number; kind?: 'td' | 'regular' } = {},
): VmRecord {
  const memoryMiB = options.memoryMiB ?? 64;
  const processName = `mariadb-tdx-${name}`;
  return {
    tool: 'mariadb-tdx',
    format: 1,
    name,
    kind: options.kind ?? 'regular',
    backend: 'qemu',
    dialect: 'upstream',
    domain: processName,
    accel: 'tcg',
    memoryMiB,
    cpus: 1,
    baseImage: '/nonexistent.qcow2',
    ports: { ssh: 1, mariadb: 2 },
    ...(options.kind === 'td' ? { tdPolicy: '0x10000000' } : {}),
    adminUser: 'mariadb_tdx_admin',
    createdAt: new Date().toISOString(),
    spec: { name: processName } as unknown as SerializedSpec,
  } satisfies VmRecord;
}

/**
 * Writes a VM directory with vm.json for the `qemu` backend and starts a daemonized QEMU for it
 * under TCG with no disk and no firmware run (`-S`), so dumps, pause and resume work at once.
 * `vm rm` (removeVm) stops it. `extraArgs` are appended to QEMU's command line.
 */
export async function startScratchVm(
  vmRoot: string,
  name: string,
  options: { memoryMiB?: number; extraArgs?: readonly string[]; kind?: 'td' | 'regular' } = {},
): Promise<ScratchVm> {
  const layout = vmLayout(vmRoot, name);
  const record = scratchRecord(name, options);
  const processName = record.spec.name;
  const memoryMiB = record.memoryMiB;
  await writeVmRecord(layout, record);
  const result = await runTool(QEMU, [
    ...['-name', `${processName},process=${processName}`],
    ...['-machine', 'q35,accel=tcg', '-m', String(memoryMiB)],
    ...['-display', 'none', '-nodefaults', '-S'],
    ...['-qmp', `unix:${layout.qmpSocket},server=on,wait=off`],
    ...['-pidfile', layout.pidFile, '-daemonize'],
    ...(options.extraArgs ?? []),
  ]);
  if (result.code !== 0) throw new Error(`QEMU did not start: ${result.stderr}`);
  return { record, layout };
}
