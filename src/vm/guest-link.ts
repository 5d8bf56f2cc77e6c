import { readFile, writeFile } from 'node:fs/promises';
import { connect, type Connection } from '../mariadb/connection.js';
import { backendFor } from './backends.js';
import { VmError } from './errors.js';
import type { VmLayout } from './layout.js';
import { waitForGuest, type WaitForGuestOptions } from './ready.js';
import { writeVmRecord, type VmRecord } from './registry.js';

/**
 * Waits for the guest to report ready, stores the CA certificate it announced, and proves the
 * path works: a TLS connection through the forwarded port, verified against that CA, with the
 * account the seed created. Returns the record updated with what the guest reported.
 */
export async function finishGuest(
  record: VmRecord,
  layout: VmLayout,
  options: WaitForGuestOptions,
): Promise<VmRecord> {
  const ready = await waitForGuest(record, layout, backendFor(record), options);
  await writeFile(layout.guestCa, ready.caPem, { mode: 0o600 });

  const connection = await connectVm(record, layout);
  let version: string;
  try {
    const [row] = (await connection.query('SELECT VERSION() AS version')) as { version: string }[];
    version = row?.version ?? ready.version;
  } finally {
    await connection.end();
  }

  const updated: VmRecord = {
    ...record,
    guest: {
      mariadbVersion: version,
      isTd: ready.guestCheck?.isTd ?? false,
      readyAt: new Date().toISOString(),
    },
  };
  await writeVmRecord(layout, updated);
  return updated;
}

/**
 * Opens a TLS connection to a VM's MariaDB through its host-loopback port forward, verified
 * against the CA certificate the guest announced.
 */
export async function connectVm(
  record: VmRecord,
  layout: VmLayout,
  database?: string,
): Promise<Connection> {
  let ca: string;
  try {
    ca = await readFile(layout.guestCa, 'utf8');
  } catch (error) {
    throw new VmError(
      'VM_STATE_INVALID',
      `${record.name} has no guest CA certificate yet (${layout.guestCa})`,
      {
        hint: 'the guest has not reported ready; see its console log, or create it again',
        cause: error,
      },
    );
  }
  const password = (await readFile(layout.adminPasswordFile, 'utf8')).trim();
  return connect({
    host: '127.0.0.1',
    port: record.ports.mariadb,
    user: record.adminUser,
    password,
    ca,
    database,
  });
}
