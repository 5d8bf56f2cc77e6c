import { access, chmod, constants, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_BANKING_SEED } from '../dataset/banking.js';
import { generatePassword, nativePasswordHash } from '../mariadb/accounts.js';
import { isErrno, pathExists, writeNewFile } from '../util/fs.js';
import { backendFor } from './backends.js';
import { buildGuestBundle } from './bundle.js';
import { renderDomainXml } from './domain-xml.js';
import { ConfigError } from '../errors.js';
import { VmError } from './errors.js';
import { createOverlay, requireQcow2 } from './image.js';
import { isTdvfImage } from './firmware.js';
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
  /** Aborting stops the creation with INTERRUPTED and removes the VM and its directory. */
  readonly signal?: AbortSignal | undefined;
  /** Receives warnings that need the user's attention even when steps are not shown. */
  readonly onWarning?: ((warning: string) => void) | undefined;
}

/** Record, layout and definition of the VM that {@link createVm} made. */
export interface CreateVmResult {
  readonly record: VmRecord;
  readonly layout: VmLayout;
  /** The libvirt domain XML, or the QEMU command line of the `qemu` backend. */
  readonly definition: string;
  readonly dryRun: boolean;
  /** Problems that did not stop the creation, such as firmware without TDVF metadata. */
  readonly warnings: readonly string[];
}

export const DEFAULT_DATASET_ROWS = 1000;
export const DEFAULT_READY_TIMEOUT_MS = 15 * 60 * 1000;
const SILENT_CONSOLE_MS = 60_000;

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
  if (!dryRun) await requireTools(backendName);
  // A dry run checks the same input; it skips only the TDX host check and every side effect.
  await requireNewName(layout, dryRun ? undefined : backendName, options.connect, name);
  const base = await requireQcow2(options.image);
  await requireDirectBootFiles(options.directBoot);

  const spec = await buildSpec(options, layout, name, base.path, dialect, dryRun);
  const record = buildRecord(options, spec, name, backendName, dialect);
  const warnings = await firmwareWarnings(spec.td?.firmware);
  for (const warning of warnings) options.onWarning?.(warning);
  const definition =
    backendName === 'libvirt'
      ? renderDomainXml(spec, dialect)
      : JSON.stringify(
          buildQemuArgs(spec, { qmpSocket: layout.qmpSocket, pidFile: layout.pidFile }, dialect),
        );
  if (dryRun) return { record, layout, definition, dryRun, warnings };

  await createVmDirectory(layout, name, backendName);
  // From here on this run owns the directory, so every failure before the start removes it.
  try {
    await prepareFiles(options, layout, record, base.path, step);
    if (backendName === 'libvirt') await writeFile(layout.domainXml, definition, { mode: 0o600 });
    await writeVmRecord(layout, record);
    throwIfAborted(options.signal, name);
  } catch (error) {
    await rm(layout.dir, { recursive: true, force: true });
    throw error;
  }

  step(`starting ${record.domain} (${backendName}, ${spec.accel})`);
  try {
    await backendFor(record).start(record, layout);
    throwIfAborted(options.signal, name);
    if (options.wait === false) return { record, layout, definition, dryRun, warnings };

    const finished = await finishGuest(record, layout, {
      timeoutMs: options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      onStage: (stage) => step(`guest: ${stage}`),
      signal: options.signal,
      onSilentConsole: options.directBoot
        ? undefined
        : () =>
            options.onWarning?.(
              `${name} has written nothing to its console for ${SILENT_CONSOLE_MS / 1000} s: ` +
                'the image may have no boot loader; boot its kernel with --kernel (and --initrd)',
            ),
    });
    return { record: finished, layout, definition, dryRun, warnings };
  } catch (error) {
    // An interrupted run removes what it made. Other failures keep the VM for inspection, as
    // their hints say.
    if (error instanceof VmError && error.code === 'INTERRUPTED') {
      await backendFor(record)
        .destroy(record, layout)
        .catch(() => undefined);
      await rm(layout.dir, { recursive: true, force: true });
      if (layout.qmpSocket.startsWith('/tmp/')) await rm(layout.qmpSocket, { force: true });
    }
    throw error;
  }
}

/** Warns when a TD's firmware lacks the TDVF metadata that QEMU needs to launch a TD. */
async function firmwareWarnings(firmware: string | undefined): Promise<string[]> {
  if (firmware === undefined || (await isTdvfImage(firmware))) return [];
  return [
    `firmware ${firmware} has no TDVF metadata, so QEMU is unlikely to launch a TD with it; ` +
      'pass the TDX-enabled OVMF with --firmware',
  ];
}

function throwIfAborted(signal: AbortSignal | undefined, name: string) {
  if (signal?.aborted) throw interruptedCreate(name);
}

function interruptedCreate(name: string): VmError {
  return new VmError('INTERRUPTED', `the creation of ${name} was interrupted; the VM was removed`);
}

/**
 * Creates the VM's directory with exclusive mkdir(2), so of two runs that create the same name
 * only one succeeds and the other never removes its files. The directory is 0700 for the QEMU
 * backend, where QEMU runs as this user.
 */
async function createVmDirectory(layout: VmLayout, name: string, backend: VmBackendName) {
  await mkdir(layout.root, { recursive: true, mode: 0o711 });
  // NOTE: a system libvirt may run QEMU as another user (libvirt-qemu, with dynamic_ownership),
  // which needs search permission on this directory to open the disks that libvirt chowns to it.
  // The directory is then 0711: others cannot list it, and every file in it is 0600.
  const mode = backend === 'qemu' ? 0o700 : 0o711;
  try {
    await mkdir(layout.dir, { mode });
  } catch (error) {
    if (isErrno(error, 'EEXIST')) throw vmExists(layout, name);
    throw error;
  }
  await chmod(layout.dir, mode);
}

function vmExists(layout: VmLayout, name: string): VmError {
  return new VmError('VM_EXISTS', `a VM named ${name} exists (${layout.dir})`, {
    hint: `choose another --name, or remove it first: mariadb-tdx vm rm ${name}`,
  });
}

/** Checks that --kernel and --initrd name readable files before anything is created. */
async function requireDirectBootFiles(directBoot: DirectBoot | undefined) {
  const files = [
    ['--kernel', directBoot?.kernel],
    ['--initrd', directBoot?.initrd],
  ] as const;
  for (const [option, path] of files) {
    if (path === undefined) continue;
    await access(resolve(path), constants.R_OK).catch((error: unknown) => {
      throw new ConfigError(
        'INVALID_OPTION',
        `${option} ${path} does not exist or is not readable`,
        {
          hint: `pass the path of the guest's ${option === '--kernel' ? 'kernel (vmlinuz)' : 'initrd'}`,
          cause: error,
        },
      );
    });
  }
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

/** Rejects a name in use; with `backend` libvirt it also queries libvirt, which a dry run skips. */
async function requireNewName(
  layout: VmLayout,
  backend: VmBackendName | undefined,
  connect: string | undefined,
  name: string,
) {
  if (await pathExists(layout.dir)) throw vmExists(layout, name);
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

  throwIfAborted(options.signal, record.name);
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
  // The overlay takes the guest's writes (the MariaDB key file among them), so only the owner
  // reads it, the seed and the console. libvirt chowns them to its QEMU user where it needs to.
  await chmod(layout.overlay, 0o600);
  await chmod(layout.seedIso, 0o600);
  await writeFile(layout.consoleLog, '', { mode: 0o600 });
  await chmod(layout.consoleLog, 0o600);
}
