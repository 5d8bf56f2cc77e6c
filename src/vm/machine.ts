import { randomBytes } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { findFreePort } from '../util/net.js';
import { VmError } from './errors.js';
import { findTdvf, TDVF_CANDIDATES } from './firmware.js';
import { isCharacterDevice, readSysValue } from './host-probes.js';
import { DEFAULT_QGS_SOCKET, DEFAULT_QGS_VSOCK_PORT } from './host-check.js';
import type { Accelerator, LibvirtDialect, QuoteGenerationService, VmKind } from './spec.js';

/** The guest ports forwarded from host loopback. */
export const GUEST_SSH_PORT = 22;
export const GUEST_MARIADB_PORT = 3306;

/** Returns a random locally administered unicast MAC in QEMU's 52:54:00 range. */
export function randomMac(): string {
  const tail = [...randomBytes(3)].map((byte) => byte.toString(16).padStart(2, '0'));
  return ['52', '54', '00', ...tail].join(':');
}

/** Two distinct free ports on 127.0.0.1 for SSH and MariaDB. */
export async function chooseHostPorts(): Promise<{ ssh: number; mariadb: number }> {
  const ssh = await findFreePort();
  let mariadb = await findFreePort();
  while (mariadb === ssh) mariadb = await findFreePort();
  return { ssh, mariadb };
}

/**
 * Parses `--qgs`: `unix:/path`, `vsock:CID:PORT`, or nothing for the dialect's default
 * (upstream: libvirt's default socket; canonical: host CID 2, port 4050, where qgsd listens).
 */
export function parseQuoteService(
  text: string | undefined,
  dialect: LibvirtDialect,
): QuoteGenerationService {
  if (text === undefined) {
    return dialect === 'upstream'
      ? { type: 'unix', path: DEFAULT_QGS_SOCKET }
      : { type: 'vsock', cid: 2, port: DEFAULT_QGS_VSOCK_PORT };
  }
  const unix = /^unix:(\/.+)$/.exec(text);
  if (unix) return { type: 'unix', path: unix[1]! };
  const vsock = /^vsock:(\d+):(\d+)$/.exec(text);
  if (vsock) return { type: 'vsock', cid: Number(vsock[1]), port: Number(vsock[2]) };
  throw new ConfigError('INVALID_OPTION', `--qgs ${text} is not unix:/PATH or vsock:CID:PORT`, {
    hint: 'for example --qgs unix:/var/run/tdx-qgs/qgs.socket or --qgs vsock:2:4050',
  });
}

/** Picks KVM or TCG: TDs need KVM; `auto` uses KVM when /dev/kvm exists. */
export async function chooseAccelerator(
  kind: VmKind,
  requested: Accelerator | 'auto',
): Promise<Accelerator> {
  if (kind === 'td' && requested === 'tcg') {
    throw new ConfigError(
      'INVALID_OPTION',
      '--accel tcg cannot run a TD: TDX needs KVM on a TDX host',
      {
        hint: 'use --regular for a software-emulated VM',
      },
    );
  }
  if (requested !== 'auto') return requested;
  return kind === 'td' || (await isCharacterDevice('/dev/kvm')) ? 'kvm' : 'tcg';
}

/** Resolves the firmware: TDVF for a TD (explicit or found), the given file or none for a regular VM. */
export async function chooseFirmware(
  kind: VmKind,
  requested: string | undefined,
  dryRun: boolean,
): Promise<string | undefined> {
  if (requested !== undefined) {
    const path = resolve(requested);
    await access(path, constants.R_OK).catch((error: unknown) => {
      throw new VmError(
        'FIRMWARE_NOT_FOUND',
        `firmware ${path} does not exist or is not readable`,
        { cause: error },
      );
    });
    return path;
  }
  if (kind === 'regular') return undefined;

  const found = await findTdvf();
  if (found) return found;
  // A dry run still shows the XML, with the path the Canonical stack uses.
  if (dryRun) return TDVF_CANDIDATES[0];
  throw new VmError(
    'FIRMWARE_NOT_FOUND',
    `no TDVF firmware found in ${TDVF_CANDIDATES.join(', ')}`,
    {
      hint: 'install the TDX-enabled OVMF of your distribution, or pass --firmware PATH',
    },
  );
}

/** Fails early with TDX_UNAVAILABLE when KVM on this host cannot run TDs. */
export async function requireTdxHost() {
  const value = await readSysValue('/sys/module/kvm_intel/parameters/tdx');
  if (value !== 'Y') {
    throw new VmError(
      'TDX_UNAVAILABLE',
      `TDX is not enabled in KVM on this host (/sys/module/kvm_intel/parameters/tdx is ${value ?? 'missing'})`,
      {
        hint: 'run mariadb-tdx host check for details; --dry-run writes the TD definition without starting it',
      },
    );
  }
}

/** Chooses whether to attach vsock: `auto` does when /dev/vhost-vsock exists. */
export async function chooseVsock(requested: 'auto' | 'on' | 'off'): Promise<boolean> {
  if (requested === 'auto') return isCharacterDevice('/dev/vhost-vsock');
  return requested === 'on';
}
