import { createHash } from 'node:crypto';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isProcessAlive } from '../../src/util/process.js';
import { runTool } from '../../src/vm/tools.js';

/**
 * A small Debian 12 guest for the end-to-end VM tests. debootstrap runs on the host and is the
 * only step that downloads anything (from the Debian archive). The ext4 image is made with
 * `mke2fs -d` (no loop mounts) and converted to qcow2; the Debian kernel and initrd boot it
 * directly. The guest needs no network because MariaDB, cloud-init and OpenSSH are in the image.
 */
export interface GuestImage {
  readonly baseImage: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly cmdline: string;
  /** True when this call built the image; false when it came from the cache. */
  readonly built: boolean;
  readonly buildSeconds: number;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Git-ignored cache of built images, keyed by the inputs of the build. */
export const GUEST_IMAGE_CACHE =
  process.env.MARIADB_TDX_IMAGE_CACHE ?? join(repoRoot, '.cache', 'vm-image');

const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
// python3-cffi-backend is named because debootstrap does not resolve the virtual packages
// python3-cryptography depends on.
const PACKAGES = [
  'linux-image-amd64',
  'systemd-sysv',
  'udev',
  'kmod',
  'iproute2',
  'ifupdown',
  'isc-dhcp-client',
  'procps',
  'cloud-init',
  'python3-cffi-backend',
  'openssh-server',
  'mariadb-server',
  'mariadb-client',
];
const IMAGE_SIZE = '3G';
// Disk-backed by convention (unlike /tmp on some systems); the build needs about 2.5 GB.
const SCRATCH_DIR = process.env.MARIADB_TDX_IMAGE_SCRATCH ?? '/var/tmp';
// Bump when the steps below change, so that cached images are rebuilt.
const RECIPE_VERSION = 2;
const UNSAFE_IO_CONFIG = 'etc/dpkg/dpkg.cfg.d/02-mariadb-tdx-unsafe-io';

export const GUEST_CMDLINE = 'console=ttyS0 root=/dev/vda rw';

/** Returns the cached image, building it first when the inputs changed or it never existed. */
export async function ensureGuestImage(
  log: (line: string) => void = () => undefined,
): Promise<GuestImage> {
  const key = createHash('sha256')
    .update(JSON.stringify({ SUITE, MIRROR, PACKAGES, IMAGE_SIZE, RECIPE_VERSION }))
    .digest('hex')
    .slice(0, 16);
  const dir = join(GUEST_IMAGE_CACHE, key);
  const image: Omit<GuestImage, 'built' | 'buildSeconds'> = {
    baseImage: join(dir, 'base.qcow2'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    cmdline: GUEST_CMDLINE,
  };

  const marker = join(dir, 'complete.json');
  const cached = await readMarker(marker);
  if (cached) return { ...image, built: false, buildSeconds: cached.buildSeconds };

  await mkdir(GUEST_IMAGE_CACHE, { recursive: true });
  const lock = `${dir}.lock`;
  if (!(await tryLock(lock)))
    return { ...image, ...(await waitForOtherBuild(marker)), built: false };
  try {
    const started = Date.now();
    await buildImage(dir, log);
    const buildSeconds = (Date.now() - started) / 1000;
    await writeFile(marker, JSON.stringify({ buildSeconds, packages: PACKAGES }, null, 2));
    await removeOtherImages(key);
    return { ...image, built: true, buildSeconds };
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Builds the root file system in a scratch directory under /var/tmp, outside the repository,
 * because debootstrap mounts /proc and /sys inside it while it works. Only the finished files
 * move into the cache.
 */
async function buildImage(dir: string, log: (line: string) => void) {
  const work = await mkdtemp(join(SCRATCH_DIR, 'mariadb-tdx-image-'));
  const root = join(work, 'root');
  const output = `${dir}.partial-${process.pid}`;
  await rm(output, { recursive: true, force: true });
  await mkdir(output, { recursive: true });
  try {
    log(`debootstrap ${SUITE} (first stage)`);
    await run('debootstrap', [
      '--foreign',
      '--variant=minbase',
      `--include=${PACKAGES.join(',')}`,
      SUITE,
      root,
      MIRROR,
    ]);
    // No documentation in the image, and no services started inside the chroot.
    await writeFile(
      join(root, 'etc/dpkg/dpkg.cfg.d/01-mariadb-tdx-nodoc'),
      ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*']
        .map((p) => `path-exclude=${p}`)
        .join('\n') + '\n',
    );
    // dpkg skips its fsync calls; a crash during the build leaves only a cache to rebuild.
    await writeFile(join(root, UNSAFE_IO_CONFIG), 'force-unsafe-io\n');
    await writeFile(join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    log('debootstrap (second stage in the chroot)');
    await run('chroot', [root, '/debootstrap/debootstrap', '--second-stage']);
    // debootstrap installs and removes a policy-rc.d of its own as well.
    await rm(join(root, 'usr/sbin/policy-rc.d'), { force: true });
    await rm(join(root, UNSAFE_IO_CONFIG));
    await rm(join(root, 'var/cache/apt/archives'), { recursive: true, force: true });
    await mkdir(join(root, 'var/cache/apt/archives/partial'), { recursive: true });

    const boot = await readdir(join(root, 'boot'));
    const kernel = boot.find((name) => name.startsWith('vmlinuz-'));
    const initrd = boot.find((name) => name.startsWith('initrd.img-'));
    if (!kernel || !initrd)
      throw new Error(`no kernel or initrd in ${root}/boot: ${boot.join(', ')}`);

    log('mke2fs -d (ext4 image without loop mounts) and qemu-img convert');
    const raw = join(work, 'disk.raw');
    await run('mke2fs', ['-q', '-t', 'ext4', '-d', root, '-L', 'vmroot', raw, IMAGE_SIZE]);
    await run('qemu-img', ['convert', '-O', 'qcow2', raw, join(output, 'base.qcow2')]);
    await copyFile(join(root, 'boot', kernel), join(output, 'vmlinuz'));
    await copyFile(join(root, 'boot', initrd), join(output, 'initrd.img'));

    await rm(dir, { recursive: true, force: true });
    await rename(output, dir);
  } finally {
    await unmountUnder(work);
    await rm(work, { recursive: true, force: true });
    await rm(output, { recursive: true, force: true });
  }
}

/** Deletes images built from other inputs, so the cache keeps one image of about 1 GB. */
async function removeOtherImages(key: string) {
  for (const entry of await readdir(GUEST_IMAGE_CACHE)) {
    if (/^[0-9a-f]{16}$/.test(entry) && entry !== key) {
      await rm(join(GUEST_IMAGE_CACHE, entry), { recursive: true, force: true });
    }
  }
}

/** Unmounts whatever a failed debootstrap left mounted in the scratch directory, deepest first. */
async function unmountUnder(dir: string) {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await runTool('umount', ['--lazy', point]);
}

async function run(command: string, args: string[]) {
  const result = await runTool(command, args, { timeoutMs: 30 * 60 * 1000 });
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} failed (${result.code}):\n${tail}`);
  }
}

async function readMarker(path: string): Promise<{ buildSeconds: number } | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as { buildSeconds: number };
  } catch {
    return undefined;
  }
}

/** Takes the build lock; a lock left by a process that no longer runs is taken over. */
async function tryLock(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(path);
      await writeFile(join(path, 'pid'), String(process.pid));
      return true;
    } catch {
      const owner = Number(await readFile(join(path, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && isProcessAlive(owner)) return false;
      await rm(path, { recursive: true, force: true });
    }
  }
  return false;
}

async function waitForOtherBuild(marker: string): Promise<{ buildSeconds: number }> {
  const deadline = Date.now() + 30 * 60 * 1000;
  while (Date.now() < deadline) {
    const done = await readMarker(marker);
    if (done) return done;
    await sleep(2000);
  }
  throw new Error(`another process did not finish building ${dirname(marker)} within 30 minutes`);
}
