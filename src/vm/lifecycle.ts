import { rm } from 'node:fs/promises';
import { backendFor } from './backends.js';
import type { VmRunState } from './backend.js';
import { vmLayout } from './layout.js';
import { listVmNames, readVmRecord, type VmRecord } from './registry.js';
import type { VmKind } from './spec.js';

/** One row of `vm list`. */
export interface VmListEntry {
  readonly name: string;
  readonly kind: VmKind;
  readonly backend: VmRecord['backend'];
  readonly domain: string;
  readonly state: VmRunState | 'unknown';
  readonly sshPort: number;
  readonly mariadbPort: number;
  readonly vsockCid: number | undefined;
  readonly tdPolicy: string | undefined;
  readonly accel: VmRecord['accel'];
  readonly guestReady: boolean;
  /** Reason the state is unknown, when it is. */
  readonly error?: string | undefined;
}

/** Lists the VMs of a directory with their live state; one unreachable VM does not hide others. */
export async function listVms(vmRoot: string): Promise<VmListEntry[]> {
  const entries: VmListEntry[] = [];
  for (const name of await listVmNames(vmRoot)) {
    const record = await readVmRecord(vmRoot, name);
    entries.push(await describeVm(vmRoot, record));
  }
  return entries;
}

async function describeVm(vmRoot: string, record: VmRecord): Promise<VmListEntry> {
  const layout = vmLayout(vmRoot, record.name);
  const backend = backendFor(record);
  let state: VmListEntry['state'] = 'unknown';
  let vsockCid: number | undefined;
  let error: string | undefined;
  try {
    state = await backend.state(record, layout);
    if (state === 'running' || state === 'paused')
      vsockCid = await backend.vsockCid(record, layout);
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  }
  return {
    name: record.name,
    kind: record.kind,
    backend: record.backend,
    domain: record.domain,
    state,
    sshPort: record.ports.ssh,
    mariadbPort: record.ports.mariadb,
    vsockCid,
    tdPolicy: record.tdPolicy,
    accel: record.accel,
    guestReady: record.guest !== undefined,
    error,
  };
}

/** Domain and directory that {@link removeVm} removed. */
export interface RemoveVmResult {
  readonly name: string;
  readonly domain: string;
  readonly removedDir: string;
}

/**
 * Stops a VM at once (no guest shutdown: its disk is deleted anyway), removes its libvirt
 * definition and deletes its directory with the overlay, seed, console log and secrets.
 */
export async function removeVm(vmRoot: string, name: string): Promise<RemoveVmResult> {
  const record = await readVmRecord(vmRoot, name);
  const layout = vmLayout(vmRoot, name);
  await backendFor(record).destroy(record, layout);
  await rm(layout.dir, { recursive: true, force: true });
  if (layout.qmpSocket.startsWith('/tmp/')) await rm(layout.qmpSocket, { force: true });
  return { name, domain: record.domain, removedDir: layout.dir };
}
