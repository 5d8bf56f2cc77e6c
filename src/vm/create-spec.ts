import { ConfigError } from '../errors.js';
import type { CreateVmOptions } from './create.js';
import { domainName, type VmLayout } from './layout.js';
import {
  chooseAccelerator,
  chooseFirmware,
  chooseHostPorts,
  chooseVsock,
  GUEST_MARIADB_PORT,
  GUEST_SSH_PORT,
  parseQuoteService,
  randomMac,
} from './machine.js';
import {
  listVmNames,
  readVmRecord,
  serializeSpec,
  type VmBackendName,
  type VmRecord,
} from './registry.js';
import type { LibvirtDialect, MachineSpec } from './spec.js';
import { PRODUCTION_TD_POLICY, formatTdPolicy } from './td-policy.js';

export const DEFAULT_MEMORY_MIB = 2048;
export const DEFAULT_CPUS = 2;
const ADMIN_USER = 'admin';

/** Builds the machine of a new VM: ports, MAC, accelerator, firmware, and the TD settings. */
export async function buildSpec(
  options: CreateVmOptions,
  layout: VmLayout,
  name: string,
  baseImage: string,
  dialect: LibvirtDialect,
  dryRun: boolean,
): Promise<MachineSpec> {
  const memoryMiB = options.memoryMiB ?? DEFAULT_MEMORY_MIB;
  const cpus = options.cpus ?? DEFAULT_CPUS;
  if (!Number.isInteger(memoryMiB) || memoryMiB < 512) {
    throw new ConfigError('INVALID_OPTION', `--memory ${memoryMiB} is below 512 MiB`, {
      hint: 'MariaDB and the guest need at least 512 MiB',
    });
  }
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 256) {
    throw new ConfigError('INVALID_OPTION', `--cpus ${cpus} is not from 1 to 256`);
  }

  const ports = await chooseHostPorts();
  const firmware = await chooseFirmware(options.kind, options.firmware, dryRun);
  const vsock = await chooseVsock(options.vsock ?? 'auto');
  return {
    name: domainName(name),
    kind: options.kind,
    accel: await chooseAccelerator(options.kind, options.accel ?? 'auto'),
    memoryMiB,
    cpus,
    overlay: layout.overlay,
    baseImage,
    seedIso: layout.seedIso,
    consoleLog: layout.consoleLog,
    mac: randomMac(),
    forwards: [
      { service: 'ssh', hostPort: ports.ssh, guestPort: GUEST_SSH_PORT },
      { service: 'mariadb', hostPort: ports.mariadb, guestPort: GUEST_MARIADB_PORT },
    ],
    egress: options.egress ?? true,
    vsock,
    vsockCid: vsock && options.backend === 'qemu' ? await freeVsockCid(options.vmRoot) : undefined,
    firmware: options.kind === 'regular' ? firmware : undefined,
    directBoot: options.directBoot,
    td:
      options.kind === 'td'
        ? {
            policy: PRODUCTION_TD_POLICY,
            firmware: firmware!,
            quoteGenerationService: parseQuoteService(options.qgs, dialect),
          }
        : undefined,
  };
}

/** Returns the lowest CID from 3 up that no other QEMU-backend VM of this directory uses. */
async function freeVsockCid(root: string): Promise<number> {
  const used = new Set<number>();
  for (const other of await listVmNames(root)) {
    const cid = (await readVmRecord(root, other).catch(() => undefined))?.spec.vsockCid;
    if (cid !== undefined) used.add(cid);
  }
  let cid = 3;
  while (used.has(cid)) cid++;
  return cid;
}

/** Builds the record of a new VM, written to `vm.json`. */
export function buildRecord(
  options: CreateVmOptions,
  spec: MachineSpec,
  name: string,
  backend: VmBackendName,
  dialect: LibvirtDialect,
): VmRecord {
  const port = (service: 'ssh' | 'mariadb') =>
    spec.forwards.find((f) => f.service === service)!.hostPort;
  return {
    tool: 'mariadb-tdx',
    format: 1,
    name,
    kind: options.kind,
    backend,
    dialect,
    connect: options.connect,
    domain: spec.name,
    accel: spec.accel,
    memoryMiB: spec.memoryMiB,
    cpus: spec.cpus,
    baseImage: spec.baseImage,
    ports: { ssh: port('ssh'), mariadb: port('mariadb') },
    tdPolicy: spec.td ? formatTdPolicy(spec.td.policy) : undefined,
    adminUser: ADMIN_USER,
    createdAt: new Date().toISOString(),
    spec: serializeSpec(spec),
  };
}
