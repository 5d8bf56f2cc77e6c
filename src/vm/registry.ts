import { mkdir, readFile, readdir } from 'node:fs/promises';
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
    throw error;
  }

  const record = JSON.parse(text) as Partial<VmRecord>;
  if (record.tool !== 'mariadb-tdx' || record.format !== 1 || record.name !== name) {
    throw new ConfigError('STATE_DIR_INVALID', `${layout.record} is not a mariadb-tdx VM record`);
  }
  return record as VmRecord;
}

export async function writeVmRecord(layout: VmLayout, record: VmRecord) {
  await mkdir(layout.dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(layout.record, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

/** Lists the names of the VMs under `root` that have a record, sorted. */
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
    if (entry.startsWith('.')) continue;
    try {
      await readFile(vmLayout(root, entry).record);
      names.push(entry);
    } catch {
      // A directory without vm.json is not a VM of ours (or a creation that did not finish).
    }
  }
  return names;
}
