import { lstat, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { isErrno, writeFileAtomic } from '../util/fs.js';
import { VmError } from './errors.js';
import { vmLayout, type VmLayout } from './layout.js';
import type { Accelerator, LibvirtDialect, MachineSpec, VmKind } from './spec.js';

/** Backend that runs a VM: libvirt through `virsh`, or QEMU directly with a QMP socket. */
export type VmBackendName = 'libvirt' | 'qemu';

/** Facts the guest reported on its console once provisioning finished. */
export interface GuestInfo {
  readonly mariadbVersion: string;
  /** The guest's own verdict from `guest check`: true only inside a TD. */
  readonly isTd: boolean;
  readonly readyAt: string;
}

/** Contents of `vm.json`: everything mariadb-tdx records about one VM. */
export interface VmRecord {
  readonly tool: 'mariadb-tdx';
  readonly format: 1;
  readonly name: string;
  readonly kind: VmKind;
  readonly backend: VmBackendName;
  readonly dialect: LibvirtDialect;
  /** libvirt connection URI; unset uses virsh's default. */
  readonly connect?: string | undefined;
  readonly domain: string;
  readonly accel: Accelerator;
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly baseImage: string;
  readonly ports: { readonly ssh: number; readonly mariadb: number };
  /** TD policy as libvirt writes it, e.g. 0x10000000. */
  readonly tdPolicy?: string | undefined;
  readonly adminUser: string;
  readonly createdAt: string;
  /** The machine as it was generated; kept so that the QEMU backend can start it again. */
  readonly spec: SerializedSpec;
  readonly guest?: GuestInfo | undefined;
}

/** A MachineSpec with the TD policy as a string, so it survives JSON. */
export type SerializedSpec = Omit<MachineSpec, 'td'> & {
  readonly td?:
    (Omit<NonNullable<MachineSpec['td']>, 'policy'> & { readonly policy: string }) | undefined;
};

export function serializeSpec(spec: MachineSpec): SerializedSpec {
  return spec.td
    ? { ...spec, td: { ...spec.td, policy: `0x${spec.td.policy.toString(16)}` } }
    : { ...spec, td: undefined };
}

export function deserializeSpec(spec: SerializedSpec): MachineSpec {
  return spec.td
    ? { ...spec, td: { ...spec.td, policy: BigInt(spec.td.policy) } }
    : { ...spec, td: undefined };
}

/** Reads the record of a VM; VM_NOT_FOUND lists where it looked. */
export async function readVmRecord(root: string, name: string): Promise<VmRecord> {
  const layout = vmLayout(root, name);
  let text: string;
  try {
    text = await readFile(layout.record, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new VmError('VM_NOT_FOUND', `no VM named ${name} in ${layout.root}`, {
        hint: 'list the VMs with: mariadb-tdx vm list (and check --vm-dir)',
        cause: error,
      });
    }
    throw invalidRecord(layout.record, name, `cannot be read: ${(error as Error).message}`, error);
  }

  let record: Partial<VmRecord> | null;
  try {
    record = JSON.parse(text) as Partial<VmRecord> | null;
  } catch (error) {
    throw invalidRecord(layout.record, name, 'is not valid JSON', error);
  }
  if (record?.tool !== 'mariadb-tdx' || record.format !== 1 || record.name !== name) {
    throw invalidRecord(layout.record, name, 'is not a mariadb-tdx VM record');
  }
  const missing = missingFields(record);
  if (missing.length > 0) {
    throw invalidRecord(layout.record, name, `lacks ${missing.join(', ')}`);
  }
  return record as VmRecord;
}

/** Names the fields that every command reads and that a record written in part may lack. */
function missingFields(record: Partial<VmRecord>): string[] {
  const missing: string[] = [];
  if (record.kind !== 'td' && record.kind !== 'regular') missing.push('kind');
  if (record.backend !== 'libvirt' && record.backend !== 'qemu') missing.push('backend');
  if (typeof record.domain !== 'string') missing.push('domain');
  if (typeof record.ports?.ssh !== 'number' || typeof record.ports.mariadb !== 'number') {
    missing.push('ports');
  }
  if (typeof record.spec !== 'object' || record.spec === null) missing.push('spec');
  return missing;
}

function invalidRecord(path: string, name: string, problem: string, cause?: unknown) {
  return new ConfigError('STATE_DIR_INVALID', `${path} ${problem}`, {
    hint: `remove the VM with: mariadb-tdx vm rm ${name}`,
    cause,
  });
}

export async function writeVmRecord(layout: VmLayout, record: VmRecord) {
  await mkdir(layout.dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(layout.record, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

/**
 * Lists the names of the VM directories under `root`, sorted: each subdirectory whose name is a
 * valid VM name, with or without a readable vm.json.
 */
export async function listVmNames(root: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }

  const names: string[] = [];
  for (const entry of entries.sort()) {
    // Dot directories hold caches and leak-test dumps, never a VM.
    if (entry.startsWith('.')) continue;
    try {
      vmLayout(root, entry);
    } catch {
      continue;
    }
    if ((await lstat(join(root, entry)).catch(() => undefined))?.isDirectory()) names.push(entry);
  }
  return names;
}
