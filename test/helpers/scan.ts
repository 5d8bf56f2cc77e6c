import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A private temporary directory and a function that deletes it. */
export async function scratchDirectory(
  prefix = 'mariadb-tdx-scan-',
): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Returns every start offset of `needle` in `haystack`, overlapping ones included. */
export function naiveOffsets(haystack: Uint8Array, needle: Uint8Array): number[] {
  const offsets: number[] = [];
  const buffer = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  for (let at = buffer.indexOf(needle); at >= 0; at = buffer.indexOf(needle, at + 1))
    offsets.push(at);
  return offsets;
}

/** Random bytes with each (bytes, offset) pair written over them, saved to `path`. */
export async function writePlanted(
  path: string,
  size: number,
  plants: readonly [Uint8Array | string, number][],
): Promise<Buffer> {
  const data = randomBytes(size);
  for (const [bytes, offset] of plants) {
    Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).copy(data, offset);
  }
  await writeFile(path, data);
  return data;
}

/** Runs the built CLI (bin/mariadb-tdx.js) and returns its exit status and output. */
export function runCli(args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(process.execPath, [resolve('bin/mariadb-tdx.js'), ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    ...options,
  });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/**
 * Runs the built CLI on a pseudo-terminal through util-linux `script`, so that standard error
 * is a TTY. When `interruptOn` appears in the output, it types Ctrl-C, which the terminal turns
 * into SIGINT for the CLI as it would for a user.
 */
export function runCliInTerminal(
  args: readonly string[],
  interruptOn?: string,
): Promise<{ status: number | null; output: string }> {
  const command = [process.execPath, resolve('bin/mariadb-tdx.js'), ...args]
    .map((word) => `'${word.replaceAll("'", `'\\''`)}'`)
    .join(' ');
  const child = spawn(
    'script',
    ['--quiet', '--flush', '--return', '--command', command, '/dev/null'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let interrupted = false;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (interruptOn && !interrupted && output.includes(interruptOn)) {
      interrupted = true;
      child.stdin.write('\x03');
    }
  });
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, output }));
  });
}
