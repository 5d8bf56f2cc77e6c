import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool } from '../../src/vm/tools.js';
import { compareVersions, MIN_LIBVIRT_TDX } from '../../src/vm/versions.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = join(repoRoot, '.cache', 'libvirt-schema');
// Suites that carry a libvirt with TDX support, newest archive layout first.
const SUITES = ['trixie-backports', 'sid'];

/** The domain schema of a libvirt release with TDX support, and where it came from. */
export interface LibvirtSchema {
  readonly domainRng: string;
  readonly version: string;
  readonly suite: string;
}

/**
 * Downloads `libvirt-common` from a newer Debian suite with apt, using a private apt
 * configuration (its own sources, lists and cache) so that the system's apt setup is not
 * changed, and unpacks the package to read its RNG schemas. The result is cached.
 */
export async function fetchLibvirtSchema(): Promise<LibvirtSchema> {
  const cached = await findCached();
  if (cached) return cached;

  for (const suite of SUITES) {
    const apt = await privateApt(suite);
    await run('apt-get', [...apt.options, 'update', '-qq']);
    const policy = await run('apt-cache', [...apt.options, 'policy', 'libvirt-common']);
    const version = /Candidate:\s*(\S+)/.exec(policy)?.[1];
    if (
      !version ||
      version === '(none)' ||
      compareVersions(version.replace(/^\d+:/, ''), MIN_LIBVIRT_TDX) < 0
    )
      continue;

    await run('apt-get', [...apt.options, 'download', 'libvirt-common'], apt.downloads);
    const deb = (await readdir(apt.downloads)).find((name) => name.endsWith('.deb'));
    if (!deb) continue;
    const upstream = version.replace(/^\d+:/, '').replace(/-[^-]+$/, '');
    const target = join(CACHE, `${upstream}-${suite}`);
    await run('dpkg-deb', ['-x', join(apt.downloads, deb), target]);
    await rm(apt.dir, { recursive: true, force: true });
    return {
      domainRng: join(target, 'usr/share/libvirt/schemas/domain.rng'),
      version: upstream,
      suite,
    };
  }
  throw new Error(`no libvirt-common ${MIN_LIBVIRT_TDX} or later in ${SUITES.join(', ')}`);
}

async function findCached(): Promise<LibvirtSchema | undefined> {
  const entries = await readdir(CACHE).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = /^(\d+\.\d+\.\d+)-(.+)$/.exec(entry);
    if (!match) continue;
    const domainRng = join(CACHE, entry, 'usr/share/libvirt/schemas/domain.rng');
    const exists = await readdir(dirname(domainRng)).then(
      () => true,
      () => false,
    );
    if (exists) return { domainRng, version: match[1]!, suite: match[2]! };
  }
  return undefined;
}

async function privateApt(suite: string) {
  const dir = join(CACHE, `apt-${suite}-${process.pid}`);
  const downloads = join(dir, 'downloads');
  await mkdir(join(dir, 'sources'), { recursive: true });
  await mkdir(join(dir, 'lists', 'partial'), { recursive: true });
  await mkdir(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
  await mkdir(downloads, { recursive: true });
  await writeFile(join(dir, 'empty.list'), '');
  await writeFile(
    join(dir, 'sources', 'newer.sources'),
    [
      'Types: deb',
      'URIs: http://deb.debian.org/debian',
      `Suites: ${suite}`,
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
    ].join('\n'),
  );
  const options = [
    '-o',
    `Dir::Etc::SourceList=${join(dir, 'empty.list')}`,
    '-o',
    `Dir::Etc::SourceParts=${join(dir, 'sources')}`,
    '-o',
    `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o',
    `Dir::Cache=${join(dir, 'cache')}`,
    '-o',
    'Dir::State::status=/dev/null',
    '-o',
    'APT::Sandbox::User=root',
  ];
  return { dir, downloads, options };
}

async function run(command: string, args: string[], cwd?: string): Promise<string> {
  const result = await runToolIn(command, args, cwd);
  if (result.code !== 0)
    throw new Error(`${command} ${args.slice(-2).join(' ')} failed: ${result.stderr.slice(-1000)}`);
  return result.stdout;
}

async function runToolIn(command: string, args: string[], cwd?: string) {
  if (!cwd) return runTool(command, args, { timeoutMs: 300_000 });
  return runTool('sh', ['-c', 'cd "$1" && shift && exec "$@"', 'sh', cwd, command, ...args], {
    timeoutMs: 300_000,
  });
}
