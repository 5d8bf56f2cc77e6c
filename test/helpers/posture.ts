import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import { connectLocal } from '../../src/local/client.js';
import { down } from '../../src/local/down.js';
import { connect } from '../../src/mariadb/connection.js';
import { up } from '../../src/local/up.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { extraOptionFileTemplate } from '../../src/mariadb/profile.js';
import { checkPosture, localCheckConnection } from '../../src/posture/check.js';
import type {
  Finding,
  FindingStatus,
  PostureProfile,
  PostureReport,
} from '../../src/posture/types.js';
import { makeTempDir, startTestServer, type TestServer } from './mariadb.js';

/** Runs the catalogue against the local server of a state directory. */
export async function checkLocal(
  dir: string,
  options: { profile?: PostureProfile; only?: string[] } = {},
): Promise<PostureReport> {
  return checkPosture({ connection: await localCheckConnection(dir), ...options });
}

/** Returns the finding of one check and fails the test when the report has none. */
export function findingOf(report: PostureReport, id: string): Finding {
  const finding = report.findings.find((f) => f.id === id);
  expect(finding, `finding ${id}`).toBeDefined();
  return finding!;
}

/** Returns the status of every check, by id. */
export function statusesOf(report: PostureReport): Record<string, FindingStatus> {
  return Object.fromEntries(report.findings.map((f) => [f.id, f.status]));
}

/** Returns the ids of the checks whose status differs between two reports, sorted. */
export function changedChecks(before: PostureReport, after: PostureReport): string[] {
  const old = statusesOf(before);
  return after.findings
    .filter((finding) => old[finding.id] !== finding.status)
    .map((finding) => finding.id)
    .sort();
}

/** Runs statements one by one over a verified connection to the local server. */
export async function runSql(dir: string, statements: readonly string[]) {
  const connection = await connectLocal(dir);
  try {
    for (const statement of statements) await connection.query(statement);
  } finally {
    await connection.end();
  }
}

/**
 * Restarts the local server with `lines` as the body of its extra.cnf, which the generated
 * option file includes last. An empty list restores the generated settings.
 */
export async function restartWithExtraOptions(dir: string, lines: readonly string[]) {
  const layout = stateLayout(dir);
  await down({ dir });
  await writeFile(
    layout.extraOptionFile,
    `${extraOptionFileTemplate(layout.serverOptionFile)}${lines.map((l) => `${l}\n`).join('')}`,
  );
  return up({ dir });
}

/** Output and exit status of one in-process run of the CLI. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `main()` in this process with standard output and error captured. Environment variables
 * in `env` are set for the run only.
 */
export async function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<CliRun> {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;

  try {
    for (const [key, value] of Object.entries(env)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = undefined;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Reads the admin password of a local server, to prove that no output contains it. */
export async function adminPassword(dir: string): Promise<string> {
  return (await readFile(stateLayout(dir).adminPasswordFile, 'utf8')).trim();
}

/** Starts a hardened test server whose key file is encrypted with a passphrase file. */
export async function startHardenedServer(): Promise<TestServer & { filekeyPath: string }> {
  const keyDir = await makeTempDir('mariadb-tdx-filekey-');
  const filekeyPath = join(keyDir, 'filekey');
  await writeFile(filekeyPath, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const server = await startTestServer({ filekeyPath });
  return {
    ...server,
    filekeyPath,
    dispose: async () => {
      await server.dispose();
      await rm(keyDir, { recursive: true, force: true });
    },
  };
}

/** Generates a password that satisfies simple_password_check, for accounts the tests create. */
export function strongPassword(): string {
  return `Pq7-${randomBytes(9).toString('base64url')}`;
}

/**
 * Makes the running server present another certificate (FLUSH SSL reloads the files named by
 * ssl_cert and ssl_key) while `run` executes, then restores the original files.
 */
export async function withServerCertificate<T>(
  dir: string,
  material: { serverCert: string; serverKey: string },
  run: () => Promise<T>,
): Promise<T> {
  const layout = stateLayout(dir);
  const [cert, key] = await Promise.all([
    readFile(layout.serverCert, 'utf8'),
    readFile(layout.serverKey, 'utf8'),
  ]);
  await writeFile(layout.serverCert, material.serverCert);
  await writeFile(layout.serverKey, material.serverKey);
  await runSql(dir, ['FLUSH SSL']);
  try {
    return await run();
  } finally {
    await writeFile(layout.serverCert, cert);
    await writeFile(layout.serverKey, key);
    // The server still presents the swapped certificate until this FLUSH SSL.
    const connection = await connect({ ...(await localCheckConnection(dir)), insecure: true });
    await connection.query('FLUSH SSL');
    await connection.end();
  }
}
