import { rm } from 'node:fs/promises';
import { MariadbTdxError } from '../errors.js';
import { pathExists } from '../util/fs.js';
import { backendFor } from './backends.js';
import type { VmRunState } from './backend.js';
import { domainName, vmLayout, type VmLayout } from './layout.js';
import { finishGuest } from './guest-link.js';
import { QemuBackend } from './qemu-backend.js';
import { listVmNames, readVmRecord, type SerializedSpec, type VmRecord } from './registry.js';
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

/** A VM directory whose vm.json is missing or unreadable, listed so that it can be removed. */
export interface InvalidVmEntry {
  readonly name: string;
  readonly state: 'invalid';
  readonly error: string;
  readonly hint: string;
}

/**
 * Lists the VMs of a directory with their live state. One unreachable VM or one broken vm.json
 * does not hide the others: a broken one is listed as invalid, with the command that removes it.
 */
export async function listVms(vmRoot: string): Promise<(VmListEntry | InvalidVmEntry)[]> {
  const entries: (VmListEntry | InvalidVmEntry)[] = [];
  for (const name of await listVmNames(vmRoot)) {
    let record: VmRecord;
    try {
      record = await readVmRecord(vmRoot, name);
    } catch (error) {
      if (!(error instanceof MariadbTdxError)) throw error;
      entries.push({
        name,
        state: 'invalid',
        error:
          error.code === 'VM_NOT_FOUND'
            ? `${vmLayout(vmRoot, name).record} is missing (an interrupted vm create?)`
            : error.message,
        hint: `remove it with: mariadb-tdx vm rm ${name}`,
      });
      continue;
    }
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
  readonly backend: VmRecord['backend'] | undefined;
  readonly removedDir: string;
  /** Leftovers that could not be checked, for a VM whose vm.json was missing or invalid. */
  readonly warnings: readonly string[];
}

/**
 * Stops a VM at once (no guest shutdown: its disk is deleted anyway), removes its libvirt
 * definition and deletes its directory with the overlay, seed, console log and secrets.
 */
export async function removeVm(vmRoot: string, name: string): Promise<RemoveVmResult> {
  const layout = vmLayout(vmRoot, name);
  let record: VmRecord | undefined;
  try {
    record = await readVmRecord(vmRoot, name);
  } catch (error) {
    const broken = error instanceof MariadbTdxError && (await pathExists(layout.dir));
    if (!broken) throw error;
  }

  const warnings: string[] = [];
  if (record) await backendFor(record).destroy(record, layout);
  else warnings.push(...(await destroyUnrecorded(name, layout)));
  await rm(layout.dir, { recursive: true, force: true });
  if (layout.qmpSocket.startsWith('/tmp/')) await rm(layout.qmpSocket, { force: true });
  return {
    name,
    domain: record?.domain ?? domainName(name),
    backend: record?.backend,
    removedDir: layout.dir,
    warnings,
  };
}

/**
 * Stops what a VM without a usable vm.json may have left running. A QEMU process is found
 * through the pid file and its command line. A libvirt domain is not, because its connection
 * URI was in vm.json, so a domain.xml in the directory produces a warning instead.
 */
async function destroyUnrecorded(name: string, layout: VmLayout): Promise<string[]> {
  const domain = domainName(name);
  const stub = { name, spec: { name: domain } as SerializedSpec } as VmRecord;
  const qemu = new QemuBackend();
  if ((await qemu.runningPid(stub, layout)) !== undefined) await qemu.destroy(stub, layout);
  if (!(await pathExists(layout.domainXml))) return [];
  return [
    `${name} had no usable vm.json; if libvirt still has domain ${domain}, remove it: ` +
      `virsh destroy ${domain}; virsh undefine ${domain}`,
  ];
}

/** Options of {@link waitForVm}. */
export interface WaitForVmOptions {
  readonly timeoutMs: number;
  readonly onStage?: ((stage: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Waits until a VM's console shows that provisioning finished, then stores the guest's CA
 * certificate, checks a verified TLS connection and records the guest as ready. This picks up a
 * VM whose `vm create` stopped waiting (--no-wait, --timeout or Ctrl-C). A VM that reported
 * ready earlier returns at once, because the console log keeps the announcement.
 */
export async function waitForVm(
  vmRoot: string,
  name: string,
  options: WaitForVmOptions,
): Promise<VmRecord> {
  const record = await readVmRecord(vmRoot, name);
  return finishGuest(record, vmLayout(vmRoot, name), options);
}
