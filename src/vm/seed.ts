import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ANNOUNCE_PREFIX } from './announce.js';
import { BUNDLE_FILE, GUEST_INSTALL_DIR } from './bundle.js';
import { locateTool, runToolChecked } from './tools.js';

/** The account that the host uses to reach the guest's MariaDB through the port forward. */
export interface RemoteAdmin {
  readonly user: string;
  /** Host pattern of the account: the host's address in the guest (10.0.2.2 with user networking). */
  readonly host: string;
  /** mysql_native_password hash; the password itself never enters the seed. */
  readonly passwordHash: string;
}

/** Settings of the cloud-init seed, applied by the guest on first boot. */
export interface SeedOptions {
  readonly hostname: string;
  readonly instanceId: string;
  readonly mac: string;
  readonly sshAuthorizedKeys: readonly string[];
  readonly remoteAdmin: RemoteAdmin;
  readonly mariadbPort: number;
  /** Sample data to load: generated customers and generator seed; unset loads nothing. */
  readonly dataset?: { readonly rows: number; readonly seed: number } | undefined;
  /** Tarball from buildGuestBundle; unset expects mariadb-tdx on the guest's PATH. */
  readonly bundle?: string | undefined;
  /** Key broker that releases the database keys to the TD by attestation. */
  readonly keyBroker?: SeedKeyBroker | undefined;
}

/** Key broker of a TD: its URL as the guest reaches it, and its CA certificate. */
export interface SeedKeyBroker {
  readonly url: string;
  /** PEM of the broker's CA certificate (public). */
  readonly caPem: string;
  readonly keyset: string;
  readonly delivery: 'vault' | 'keyfile';
}

/** The three NoCloud files. */
export interface SeedFiles {
  readonly userData: string;
  readonly metaData: string;
  readonly networkConfig: string;
}

const SEED_DIR = '/var/lib/mariadb-tdx-seed';
const GUEST_STATE_DIR = '/var/lib/mariadb-tdx';
// Read again on every boot, when the server attests for its keys.
const GUEST_KBS_CA = '/etc/mariadb-tdx/kbs-ca.pem';

/** Renders the cloud-init NoCloud files: user-data, meta-data and network-config. */
export function renderSeedFiles(options: SeedOptions): SeedFiles {
  const userData = {
    hostname: options.hostname,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    // Key-only root login, as on the TD images of Canonical's TDX stack; the keys are the
    // ones vm create was given.
    disable_root: false,
    // ed25519 alone keeps first boot short under software emulation.
    ssh_genkeytypes: ['ed25519'],
    ...(options.sshAuthorizedKeys.length > 0
      ? { ssh_authorized_keys: [...options.sshAuthorizedKeys] }
      : {}),
    write_files: [
      {
        path: `${SEED_DIR}/admin.hash`,
        permissions: '0600',
        content: `${options.remoteAdmin.passwordHash}\n`,
      },
      ...(options.keyBroker
        ? [{ path: GUEST_KBS_CA, permissions: '0644', content: options.keyBroker.caPem }]
        : []),
      { path: `${SEED_DIR}/provision.sh`, permissions: '0700', content: provisionScript(options) },
    ],
    runcmd: [['/bin/sh', `${SEED_DIR}/provision.sh`]],
  };

  return {
    userData: `#cloud-config\n${stringify(userData, { lineWidth: 0 })}`,
    metaData: stringify({ 'instance-id': options.instanceId, 'local-hostname': options.hostname }),
    networkConfig: stringify({
      version: 2,
      ethernets: { usernet: { match: { macaddress: options.mac }, dhcp4: true } },
    }),
  };
}

/** Renders the first-boot script: unpack the bundle, install MariaDB if missing, run `provision`. */
function provisionScript(options: SeedOptions): string {
  const admin = options.remoteAdmin;
  const provisionArgs = [
    `--dir ${GUEST_STATE_DIR}`,
    '--bind-address 0.0.0.0',
    `--port ${options.mariadbPort}`,
    `--remote-admin '${admin.user}@${admin.host}'`,
    `--remote-admin-hash-file ${SEED_DIR}/admin.hash`,
    ...(options.dataset
      ? [`--dataset banking --rows ${options.dataset.rows} --seed ${options.dataset.seed}`]
      : []),
    ...(options.keyBroker ? brokerArgs(options.keyBroker) : []),
    '--announce "$console"',
  ];

  return `#!/bin/sh
# Written by mariadb-tdx vm create. Progress and the result go to the first serial port, which
# the host reads; no network path to the host is needed.
set -u
console=/dev/ttyS0
[ -w "$console" ] || console=/dev/console
say() { printf '${ANNOUNCE_PREFIX} %s\\n' "$*" >"$console"; }
fail() { say "failed $*"; exit 1; }

say "stage seed"
${options.bundle ? unpackBundle() : findInstalledTool()}
if [ ! -x /usr/sbin/mariadbd ] && ! command -v mariadbd >/dev/null 2>&1; then
  say "stage packages"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q --no-install-recommends mariadb-server mariadb-client; } \\
    || fail "apt-get install mariadb-server failed; the image needs MariaDB or network access"
fi

say "stage provision"
"$tool" provision ${provisionArgs.join(' \\\n  ')} \\
  || fail "mariadb-tdx provision exited with status $?"
rm -f ${SEED_DIR}/admin.hash
`;
}

function brokerArgs(broker: SeedKeyBroker): string[] {
  return [
    `--kbs ${shellWord(broker.url)} --kbs-ca ${GUEST_KBS_CA}`,
    `--keyset ${shellWord(broker.keyset)} --key-delivery ${broker.delivery} --evidence tdx`,
  ];
}

/** Quotes a word for the POSIX shell. */
function shellWord(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function unpackBundle(): string {
  return `dev=$(blkid -L cidata) || fail "no seed device labelled cidata"
mnt=$(mktemp -d)
mount -o ro "$dev" "$mnt" || fail "cannot mount the seed device $dev"
mkdir -p ${GUEST_INSTALL_DIR}
tar -xzf "$mnt/${BUNDLE_FILE}" -C ${GUEST_INSTALL_DIR} || { umount "$mnt"; fail "cannot unpack ${BUNDLE_FILE}"; }
umount "$mnt"
rmdir "$mnt"
tool=${GUEST_INSTALL_DIR}/bin/mariadb-tdx`;
}

function findInstalledTool(): string {
  return `tool=$(command -v mariadb-tdx) || fail "mariadb-tdx is not installed in the image and no bundle was attached"`;
}

/**
 * Writes the seed as an ISO 9660 image with volume id `cidata`, which cloud-init's NoCloud
 * datasource finds by label. The staging directory is removed afterwards.
 */
export async function writeSeedIso(
  files: SeedFiles,
  staging: string,
  isoPath: string,
  bundle?: string,
) {
  const genisoimage = await locateTool('genisoimage');
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  try {
    await writeFile(join(staging, 'user-data'), files.userData, { mode: 0o600 });
    await writeFile(join(staging, 'meta-data'), files.metaData, { mode: 0o600 });
    await writeFile(join(staging, 'network-config'), files.networkConfig, { mode: 0o600 });
    if (bundle) await copyFile(bundle, join(staging, BUNDLE_FILE));

    await runToolChecked(
      genisoimage,
      ['-quiet', '-output', isoPath, '-volid', 'cidata', '-joliet', '-rock', staging],
      { what: `genisoimage ${isoPath}` },
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
