import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable } from '../../src/mariadb/binaries.js';

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
