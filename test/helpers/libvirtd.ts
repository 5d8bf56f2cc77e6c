import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable } from '../../src/mariadb/binaries.js';
import { runTool } from '../../src/vm/tools.js';

/** A libvirtd that a test started for itself, isolated from any system libvirt. */
export interface PrivateLibvirtd {
  /** Connection URI for virsh and `--connect`. */
  readonly uri: string;
  readonly stop: () => Promise<void>;
}

// The directories the monolithic libvirtd of Debian 12 uses, each replaced by a private one.
const PRIVATE_DIRS = {
  etc: '/etc/libvirt',
  run: '/run/libvirt',
  lib: '/var/lib/libvirt',
  log: '/var/log/libvirt',
  cache: '/var/cache/libvirt',
} as const;

/** True when libvirtd, virsh and unshare are installed. */
export async function libvirtdAvailable(): Promise<boolean> {
  const tools = await Promise.all(['libvirtd', 'virsh', 'unshare'].map((t) => findExecutable(t)));
  return tools.every((tool) => tool !== undefined) && process.getuid?.() === 0;
}

/**
 * Starts libvirtd in a private mount namespace whose libvirt directories are bind-mounted from
 * a temporary directory, so it neither reads nor changes the host's libvirt configuration and
 * state. QEMU runs as root without a security driver, which a test host without the
 * libvirt-qemu user needs.
 */
export async function startPrivateLibvirtd(): Promise<PrivateLibvirtd> {
  const base = await mkdtemp('/tmp/mtdx-lv-');
  for (const name of Object.keys(PRIVATE_DIRS)) await mkdir(join(base, name), { mode: 0o700 });
  await writeFile(
    join(base, 'etc', 'qemu.conf'),
    [
      'user = "root"',
      'group = "root"',
      'dynamic_ownership = 0',
      'remember_owner = 0',
      'security_driver = "none"',
      'stdio_handler = "file"',
      '',
    ].join('\n'),
  );
  await writeFile(join(base, 'etc', 'libvirtd.conf'), 'log_outputs = "3:stderr"\n');
  await writeAccounts(base);

  const mounts = [
    ...Object.entries(PRIVATE_DIRS).map(
      ([name, target]) => `mkdir -p ${target} && mount --bind ${join(base, name)} ${target}`,
    ),
    `mount --bind ${join(base, 'passwd')} /etc/passwd`,
    `mount --bind ${join(base, 'group')} /etc/group`,
  ].join(' && ');
  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', `${mounts} && exec libvirtd`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));

  const uri = `qemu:///system?socket=${join(base, 'run', 'libvirt-sock')}`;
  try {
    await waitForDaemon(uri, child, stderr);
  } catch (error) {
    await stopDaemon(child, base);
    throw error;
  }
  return { uri, stop: () => stopDaemon(child, base) };
}

/**
 * libvirt 9.0 resolves its compiled-in QEMU user `libvirt-qemu` at start even when qemu.conf
 * names root, and only libvirt-daemon-system's postinst creates it. Inside the namespace,
 * /etc/passwd and /etc/group are copies with that user added. The host's files stay unchanged.
 */
async function writeAccounts(base: string) {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const group = await readFile('/etc/group', 'utf8');
  const user = passwd.includes('\nlibvirt-qemu:')
    ? ''
    : 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin\n';
  const groups = group.includes('\nlibvirt-qemu:') ? '' : 'libvirt-qemu:x:64055:\n';
  await writeFile(join(base, 'passwd'), passwd + user);
  await writeFile(join(base, 'group'), group + groups);
}

async function waitForDaemon(uri: string, child: ChildProcess, stderr: string[]) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`libvirtd exited: ${stderr.join('').slice(-2000)}`);
    const result = await runTool('virsh', ['--connect', uri, 'version', '--daemon'], {
      timeoutMs: 10_000,
    });
    if (result.code === 0) return;
    await sleep(500);
  }
  throw new Error(`libvirtd did not respond within 60 s: ${stderr.join('').slice(-2000)}`);
}

async function stopDaemon(child: ChildProcess, base: string) {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  await rm(base, { recursive: true, force: true });
}
