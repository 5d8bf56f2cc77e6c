import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pathExists } from '../util/fs.js';
import { VmError } from './errors.js';
import { locateTool, runToolChecked } from './tools.js';

/** File name of the bundle inside the seed, and where the guest unpacks it. */
export const BUNDLE_FILE = 'mariadb-tdx-bundle.tar.gz';
export const GUEST_INSTALL_DIR = '/opt/mariadb-tdx';

/** Options of {@link buildGuestBundle}. */
export interface GuestBundleOptions {
  /** Node.js binary copied into the bundle; default the one running now. */
  readonly nodeBinary?: string | undefined;
  /** Directory that keeps built bundles, keyed by their inputs. */
  readonly cacheDir: string;
}

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/** Root of the installed mariadb-tdx package: the directory above `src/` or `dist/`. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/**
 * Builds (or reuses) a tarball that runs mariadb-tdx in a guest without network access: the
 * Node.js binary, the compiled package and its production dependencies, and a `bin/mariadb-tdx`
 * wrapper. The guest needs only glibc and libstdc++, which Debian and Ubuntu images carry.
 */
export async function buildGuestBundle(options: GuestBundleOptions): Promise<string> {
  const root = packageRoot();
  const nodeBinary = resolve(options.nodeBinary ?? process.execPath);
  if (!(await pathExists(join(root, 'dist', 'cli', 'main.js')))) {
    throw new VmError(
      'TOOL_FAILED',
      `${root}/dist is missing, so there is nothing to copy into the guest`,
      {
        hint: 'build the package first: npm run build',
      },
    );
  }

  const packages = await productionPackages(root);
  const key = await bundleKey(root, nodeBinary, packages);
  const target = join(options.cacheDir, `guest-bundle-${key}.tar.gz`);
  if (await pathExists(target)) return target;

  await mkdir(options.cacheDir, { recursive: true, mode: 0o700 });
  const staging = join(options.cacheDir, `staging-${key}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    await stageBundle(staging, root, nodeBinary, packages);
    const tar = await locateTool('tar');
    const partial = `${target}.${process.pid}.partial`;
    await runToolChecked(tar, ['-czf', partial, '-C', staging, '.'], {
      what: 'tar of the guest bundle',
    });
    await rename(partial, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}

async function stageBundle(
  staging: string,
  root: string,
  nodeBinary: string,
  packages: ReadonlyMap<string, string>,
) {
  const app = join(staging, 'app');
  await mkdir(join(staging, 'bin'), { recursive: true });
  await cp(nodeBinary, join(staging, 'bin', 'node'));
  for (const entry of ['package.json', 'bin', 'dist']) {
    await cp(join(root, entry), join(app, entry), { recursive: true });
  }
  for (const [relative, source] of packages) {
    await cp(source, join(app, relative), { recursive: true, dereference: true });
  }
  await writeFile(
    join(staging, 'bin', 'mariadb-tdx'),
    `#!/bin/sh\nexec ${GUEST_INSTALL_DIR}/bin/node ${GUEST_INSTALL_DIR}/app/bin/mariadb-tdx.js "$@"\n`,
    { mode: 0o755 },
  );
}

/**
 * Finds the production dependencies of the package, recursively, the way Node resolves them,
 * and returns where each goes in the bundle (`node_modules/NAME`, nested when two versions of
 * one package are needed) with its directory on this machine.
 */
async function productionPackages(root: string): Promise<Map<string, string>> {
  const placed = new Map<string, string>();
  const byName = new Map<string, string>();
  const queue: { name: string; from: string; parentTarget: string }[] = [];
  const enqueue = async (dir: string, parentTarget: string) => {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const name of Object.keys(manifest.dependencies ?? {}))
      queue.push({ name, from: dir, parentTarget });
    for (const name of Object.keys(manifest.optionalDependencies ?? {})) {
      queue.push({ name, from: dir, parentTarget });
    }
  };

  await enqueue(root, '');
  while (queue.length > 0) {
    const { name, from, parentTarget } = queue.shift()!;
    const source = await findPackageDir(name, from);
    if (source === undefined) continue;
    const existing = byName.get(name);
    if (existing === source) continue;

    const target =
      existing === undefined
        ? join('node_modules', name)
        : join(parentTarget, 'node_modules', name);
    if (placed.has(target)) continue;
    placed.set(target, source);
    if (existing === undefined) byName.set(name, source);
    await enqueue(source, target);
  }
  return placed;
}

/** Node's lookup: `node_modules/NAME` in the directory and each of its ancestors. */
async function findPackageDir(name: string, from: string): Promise<string | undefined> {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (await pathExists(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function bundleKey(root: string, nodeBinary: string, packages: ReadonlyMap<string, string>) {
  const hash = createHash('sha256');
  const nodeStat = await stat(nodeBinary);
  hash.update(`${nodeBinary}:${nodeStat.size}:${nodeStat.mtimeMs}\n`);
  hash.update(await readFile(join(root, 'package.json')));
  for (const [relative, source] of [...packages].sort()) hash.update(`${relative}=${source}\n`);
  await hashTree(hash, join(root, 'dist'));
  return hash.digest('hex').slice(0, 16);
}

async function hashTree(hash: ReturnType<typeof createHash>, dir: string) {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await hashTree(hash, path);
    else {
      const info = await stat(path);
      hash.update(`${path}:${info.size}:${info.mtimeMs}\n`);
    }
  }
}
