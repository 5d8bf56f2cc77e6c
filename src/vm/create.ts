import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_BANKING_SEED } from '../dataset/banking.js';
import { generatePassword, nativePasswordHash } from '../mariadb/accounts.js';
import { pathExists, writeNewFile } from '../util/fs.js';
import { backendFor } from './backends.js';
import { buildGuestBundle } from './bundle.js';
import { renderDomainXml } from './domain-xml.js';
import { ConfigError } from '../errors.js';
import { VmError } from './errors.js';
import { createOverlay, requireQcow2 } from './image.js';
import { domainName, validateVmName, vmLayout, type VmLayout } from './layout.js';
import { GUEST_MARIADB_PORT, requireTdxHost } from './machine.js';
import { buildRecord, buildSpec } from './create-spec.js';
import { buildQemuArgs } from './qemu-args.js';
import { finishGuest } from './guest-link.js';
import { listVmNames, writeVmRecord, type VmBackendName, type VmRecord } from './registry.js';
import { renderSeedFiles, writeSeedIso, type SeedKeyBroker } from './seed.js';
import {
  USER_NET_HOST_ADDRESS,
  type Accelerator,
  type DirectBoot,
  type LibvirtDialect,
  type VmKind,
} from './spec.js';
import { locateTool } from './tools.js';
import { Virsh } from './virsh.js';

/** Options of {@link createVm}. */
export interface CreateVmOptions {
  readonly kind: VmKind;
  readonly image: string;
  readonly vmRoot: string;
  /** Default: `td-N` or `regular-N`, the first free number. */
  readonly name?: string | undefined;
  readonly memoryMiB?: number | undefined;
  readonly cpus?: number | undefined;
  readonly backend?: VmBackendName | undefined;
  readonly connect?: string | undefined;
  readonly dialect?: LibvirtDialect | undefined;
  readonly accel?: Accelerator | 'auto' | undefined;
  readonly firmware?: string | undefined;
  /** `unix:/PATH` or `vsock:CID:PORT`; default per dialect. */
  readonly qgs?: string | undefined;
  readonly directBoot?: DirectBoot | undefined;
  /** Public SSH keys (file contents) authorized in the guest. */
  readonly sshAuthorizedKeys?: readonly string[] | undefined;
  /** Generated customers of the banking data set loaded at first boot; 0 loads none. */
  readonly datasetRows?: number | undefined;
  readonly datasetSeed?: number | undefined;
  /** When false the guest reaches nothing but its own forwarded ports (QEMU restrict=on). */
  readonly egress?: boolean | undefined;
  /** A TD takes its database keys from this key broker by attestation, not from its disk. */
  readonly keyBroker?: SeedKeyBroker | undefined;
  readonly vsock?: 'auto' | 'on' | 'off' | undefined;
  /** Copies Node.js and mariadb-tdx into the seed; false expects them in the image. */
  readonly bundle?: boolean | undefined;
  readonly nodeBinary?: string | undefined;
  /** Waits until the guest reports MariaDB ready; default true. */
  readonly wait?: boolean | undefined;
  readonly timeoutMs?: number | undefined;
  /** Builds the definition and returns it without creating or starting anything. */
  readonly dryRun?: boolean | undefined;
  readonly onStep?: ((step: string) => void) | undefined;
}

/** Record, layout and definition of the VM that {@link createVm} made. */
export interface CreateVmResult {
  readonly record: VmRecord;
  readonly layout: VmLayout;
  /** The libvirt domain XML, or the QEMU command line of the `qemu` backend. */
  readonly definition: string;
  readonly dryRun: boolean;
}

export const DEFAULT_DATASET_ROWS = 1000;
export const DEFAULT_READY_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * Creates and starts a TD or a regular VM with MariaDB. It writes a qcow2 overlay on the base
 * image, a cloud-init seed that provisions the hardened profile and the banking data, and a
 * libvirt domain (or a QEMU process) with host-loopback port forwards to SSH and MariaDB. Then
 * it waits until the guest announces MariaDB ready and checks a verified TLS connection.
 */
export async function createVm(options: CreateVmOptions): Promise<CreateVmResult> {
  const step = options.onStep ?? (() => undefined);
  const dryRun = options.dryRun === true;
  const backendName = options.backend ?? 'libvirt';
  const dialect = options.dialect ?? 'upstream';
  const name = validateVmName(options.name ?? (await defaultName(options.vmRoot, options.kind)));
  const layout = vmLayout(options.vmRoot, name);

  if (options.keyBroker) requireBrokerReachable(options);
  if (options.kind === 'td' && !dryRun) await requireTdxHost();
  if (!dryRun) {
    await requireTools(backendName);
    await requireNewName(layout, backendName, options.connect, name);
  }
  const base = dryRun ? { path: resolve(options.image) } : await requireQcow2(options.image);

  const spec = await buildSpec(options, layout, name, base.path, dialect, dryRun);
  const record = buildRecord(options, spec, name, backendName, dialect);
  const definition =
    backendName === 'libvirt'
      ? renderDomainXml(spec, dialect)
      : JSON.stringify(
          buildQemuArgs(spec, { qmpSocket: layout.qmpSocket, pidFile: layout.pidFile }, dialect),
        );
  if (dryRun) return { record, layout, definition, dryRun };

  await mkdir(layout.dir, { recursive: true, mode: 0o711 });
  try {
    await prepareFiles(options, layout, record, base.path, step);
    if (backendName === 'libvirt') await writeFile(layout.domainXml, definition);
    await writeVmRecord(layout, record);
  } catch (error) {
    await rm(layout.dir, { recursive: true, force: true });
    throw error;
  }

  step(`starting ${record.domain} (${backendName}, ${spec.accel})`);
  await backendFor(record).start(record, layout);
  if (options.wait === false) return { record, layout, definition, dryRun };

  const finished = await finishGuest(record, layout, {
    timeoutMs: options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    onStage: (stage) => step(`guest: ${stage}`),
  });
  return { record: finished, layout, definition, dryRun };
}

/** A key broker serves only TDs, which the guest must be able to reach over its network. */
function requireBrokerReachable(options: CreateVmOptions) {
  if (options.kind !== 'td') {
    throw new ConfigError('INVALID_OPTION', 'a key broker releases keys only to a TD', {
      hint: 'use --kbs with --tdx; a regular VM has no TDX evidence to attest with',
    });
  }
  if (options.egress === false) {
    throw new ConfigError('INVALID_OPTION', 'with --no-egress the TD cannot reach the key broker', {
      hint: 'drop --no-egress, or provision the keys without --kbs',
    });
  }
}

async function defaultName(root: string, kind: VmKind): Promise<string> {
  const taken = new Set(await listVmNames(root));
  for (let n = 1; ; n++) {
    const candidate = `${kind}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Fails with TOOL_MISSING before any file is written when a program the VM needs is absent. */
async function requireTools(backend: VmBackendName) {
  await locateTool('qemu-img');
  await locateTool('genisoimage');
  if (backend === 'qemu') await locateTool('qemu-system-x86_64');
}

async function requireNewName(
  layout: VmLayout,
  backend: VmBackendName,
  connect: string | undefined,
  name: string,
) {
  if (await pathExists(layout.dir)) {
    throw new VmError('VM_EXISTS', `a VM named ${name} exists (${layout.dir})`, {
      hint: `choose another --name, or remove it first: mariadb-tdx vm rm ${name}`,
    });
  }
  if (backend === 'libvirt') {
    const virsh = await Virsh.locate(connect);
    if ((await virsh.domainState(domainName(name))) !== undefined) {
      throw new VmError('VM_EXISTS', `libvirt already has a domain named ${domainName(name)}`, {
        hint: `choose another --name, or remove the domain: virsh undefine ${domainName(name)}`,
      });
    }
  }
}

async function prepareFiles(
  options: CreateVmOptions,
  layout: VmLayout,
  record: VmRecord,
  baseImage: string,
  step: (text: string) => void,
) {
  await mkdir(layout.secretsDir, { mode: 0o700 });
  await writeNewFile(layout.adminPasswordFile, `${generatePassword()}\n`);
  const password = (await readFile(layout.adminPasswordFile, 'utf8')).trim();

  let bundle: string | undefined;
  if (options.bundle !== false) {
    step('packing Node.js and mariadb-tdx for the guest');
    bundle = await buildGuestBundle({
      nodeBinary: options.nodeBinary,
      cacheDir: join(layout.root, '.cache'),
    });
  }

  step('writing the cloud-init seed');
  const rows = options.datasetRows ?? DEFAULT_DATASET_ROWS;
  const files = renderSeedFiles({
    hostname: record.name.replace(/[^A-Za-z0-9-]/g, '-'),
    instanceId: `${record.domain}-${Date.now().toString(36)}`,
    mac: record.spec.mac,
    sshAuthorizedKeys: options.sshAuthorizedKeys ?? [],
    remoteAdmin: {
      user: record.adminUser,
      host: USER_NET_HOST_ADDRESS,
      passwordHash: nativePasswordHash(password),
    },
    mariadbPort: GUEST_MARIADB_PORT,
    dataset: rows > 0 ? { rows, seed: options.datasetSeed ?? DEFAULT_BANKING_SEED } : undefined,
    bundle,
    keyBroker: options.keyBroker,
  });
  await writeSeedIso(files, layout.seedStaging, layout.seedIso, bundle);

  step(`creating the qcow2 overlay on ${baseImage}`);
  await createOverlay({ path: baseImage, format: 'qcow2', virtualSize: 0 }, layout.overlay);
  await writeFile(layout.consoleLog, '');
  await chmod(layout.consoleLog, 0o644);
}
