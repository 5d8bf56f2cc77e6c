import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { findExecutable } from '../mariadb/binaries.js';
import { VmError } from './errors.js';

/** External programs the VM commands run, with the Debian/Ubuntu package that installs each. */
export const TOOL_PACKAGES = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  virsh: 'libvirt-clients libvirt-daemon-system',
  genisoimage: 'genisoimage',
  tar: 'tar',
  ss: 'iproute2',
  dmesg: 'util-linux',
} as const;

export type ToolName = keyof typeof TOOL_PACKAGES;

/**
 * Finds a tool on PATH or in the sbin directories (only in `dirs` when given); TOOL_MISSING
 * names the package to install.
 */
export async function locateTool(name: ToolName, dirs?: readonly string[]): Promise<string> {
  const path = dirs ? await findIn(name, dirs) : await findExecutable(name);
  if (path === undefined) {
    throw new VmError('TOOL_MISSING', `${name} was not found on PATH or in /usr/sbin`, {
      hint: `install it: apt-get install ${TOOL_PACKAGES[name]}`,
    });
  }
  return path;
}

async function findIn(name: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

/** Output of a finished program. */
export interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runTool}. */
export interface RunToolOptions {
  readonly timeoutMs?: number | undefined;
  readonly input?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/**
 * Runs a program to completion and returns its exit code and output; never throws for a
 * non-zero exit, so callers decide what a failure means. A program that outlives `timeoutMs`
 * is killed and reported with code null.
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);

    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    if (child.stdin) {
      // A program may exit without reading its input; that is not an error of ours.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

/** Runs a program and throws TOOL_FAILED with its last error lines when it exits non-zero. */
export async function runToolChecked(
  command: string,
  args: readonly string[],
  options: RunToolOptions & { readonly what: string; readonly hint?: string } = { what: '' },
): Promise<ToolResult> {
  const result = await runTool(command, args, options);
  if (result.code !== 0) {
    throw new VmError(
      'TOOL_FAILED',
      `${options.what || command} failed (${describeExit(result.code)}): ${lastLines(result.stderr || result.stdout, 5)}`,
      { hint: options.hint },
    );
  }
  return result;
}

export function describeExit(code: number | null): string {
  return code === null ? 'killed after the time limit' : `exit code ${code}`;
}

/** Returns the last non-empty lines of a program's output, joined for an error message. */
export function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .slice(-count)
    .join('\n');
}
