import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { VmError } from './errors.js';

/** Prefix of the libvirt domains mariadb-tdx defines, so that `vm list` shows only its own. */
export const DOMAIN_PREFIX = 'mariadb-tdx-';

// A libvirt domain name and a file name; starts with a letter or digit so it never looks like
// an option.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/;

// Unix socket paths are limited to 108 bytes including the terminating NUL (sun_path).
const MAX_SOCKET_PATH = 107;

/** Rejects a VM name that is not 1 to 48 letters, digits, `_`, `.` or `-`. */
export function validateVmName(name: string): string {
  if (!NAME_PATTERN.test(name) || name.includes('..')) {
    throw new VmError(
      'INVALID_NAME',
      `VM name ${JSON.stringify(name)} is invalid: use 1 to 48 letters, digits, '_', '.' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

/** Returns the directory with one subdirectory per VM: MARIADB_TDX_VM_DIR, else a default. */
export function defaultVmRoot(): string {
  const override = process.env.MARIADB_TDX_VM_DIR;
  if (override) return resolve(override);
  if (process.getuid?.() === 0) return '/var/lib/mariadb-tdx/vms';

  const dataHome = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(dataHome, 'mariadb-tdx', 'vms');
}

/** Every file of one VM on the host. */
export interface VmLayout {
  readonly root: string;
  readonly dir: string;
  readonly record: string;
  readonly overlay: string;
  readonly seedIso: string;
  readonly seedStaging: string;
  readonly consoleLog: string;
  readonly domainXml: string;
  readonly qemuArgs: string;
  readonly qmpSocket: string;
  readonly pidFile: string;
  readonly guestCa: string;
  readonly secretsDir: string;
  readonly adminPasswordFile: string;
}

/** Derives the layout of a VM's directory under `root`. */
export function vmLayout(root: string, name: string): VmLayout {
  const base = resolve(root);
  const dir = join(base, validateVmName(name));
  const socketInDir = join(dir, 'qmp.sock');
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 12);

  return {
    root: base,
    dir,
    record: join(dir, 'vm.json'),
    overlay: join(dir, 'overlay.qcow2'),
    seedIso: join(dir, 'seed.iso'),
    seedStaging: join(dir, 'seed'),
    consoleLog: join(dir, 'console.log'),
    domainXml: join(dir, 'domain.xml'),
    qemuArgs: join(dir, 'qemu-args.json'),
    qmpSocket:
      socketInDir.length <= MAX_SOCKET_PATH ? socketInDir : join('/tmp', `mariadb-tdx-${hash}.qmp`),
    pidFile: join(dir, 'qemu.pid'),
    guestCa: join(dir, 'guest-ca.pem'),
    secretsDir: join(dir, 'secrets'),
    adminPasswordFile: join(dir, 'secrets', 'admin.password'),
  };
}

/** Returns the libvirt domain name of a VM. */
export function domainName(name: string): string {
  return `${DOMAIN_PREFIX}${name}`;
}
