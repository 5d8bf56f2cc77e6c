import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stateLayout } from '../mariadb/layout.js';
import { makeDirectories, pathExists, writeNewFile } from '../util/fs.js';
import { isProcessRunning } from '../util/process.js';
import {
  bankingSensitiveValues,
  generateBanking,
  DEFAULT_BANKING_SEED,
} from '../dataset/banking.js';
import { loadBanking } from '../dataset/load.js';
import { generatePassword } from '../mariadb/accounts.js';
import { connect } from '../mariadb/connection.js';
import { down } from '../local/down.js';
import { checkPosture } from '../posture/check.js';
import type { PostureReport } from '../posture/types.js';
import { dumpProcess } from '../scan/dump/dump.js';
import { fromSensitiveValue } from '../scan/needles/inputs.js';
import type { ScanValue } from '../scan/needles/needles.js';
import { copyDirectoryFiles, copyOpenFiles } from './capture.js';
import { DemoError } from './errors.js';
import { searchEvidence, serverFiles, type ServerEvidence } from './evidence.js';
import { buildMatrix, DEMO_PROFILES, type DemoProfile, type EvidenceResult } from './matrix.js';
import { startRecordingRelay, type RecordingRelay } from './relay.js';
import { startDemoServer, type DemoServer } from './servers.js';
import { judge, KNOWN_LIMITS, type VerdictContext } from './verdict.js';
import { flushToDisk, startWorkload, type RunningWorkload } from './workload.js';
import type { DemoReport, DemoServerSummary } from './report.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Working directory for both servers and the evidence; must not exist or be empty. */
  readonly dir?: string | undefined;
  /** Generated customers besides the two fixed ones; default 3000. */
  readonly rows?: number | undefined;
  readonly seed?: number | undefined;
  /** Keeps the working directory (servers stopped) instead of deleting it. */
  readonly keep?: boolean | undefined;
  /** Leaves values and their context out of the report, keeping hash prefixes and lengths. */
  readonly redact?: boolean | undefined;
  /**
   * Loads the baseline server over plain TCP instead of TLS, to show what the wire then
   * carries. The hardened server rejects plain TCP, so it is loaded over TLS either way.
   */
  readonly plainWire?: boolean | undefined;
  /** Worker threads of each search; default the number of CPUs. */
  readonly workers?: number | undefined;
  readonly onStep?: ((event: DemoStepEvent) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Progress of a demo run, one event when a step starts and one when it ends. */
export interface DemoStepEvent {
  readonly step: number;
  readonly total: number;
  readonly title: string;
  readonly state: 'start' | 'done';
  readonly seconds?: number | undefined;
}

export const DEFAULT_DEMO_DIR = '.mariadb-tdx-demo';
export const DEFAULT_DEMO_ROWS = 3000;

const STEPS = [
  'start a baseline and a hardened server',
  'load the banking data through a recording relay',
  'exercise both servers as production does',
  'check the posture of both servers',
  'dump memory and copy temporary files',
  'search every place for the sensitive values',
  'build the matrix',
] as const;

interface Running {
  readonly server: DemoServer;
  relay?: RecordingRelay;
  workload?: RunningWorkload;
  wireNote?: string;
  rejected?: readonly string[];
}

/**
 * Builds a baseline and a hardened server, loads the banking data, exercises and attacks both,
 * and reports where the customers' data can be read. Both servers are stopped at the end, also
 * on error or abort; the working directory is deleted unless `keep` is set.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const started = Date.now();
  const workDir = resolve(options.dir ?? DEFAULT_DEMO_DIR);
  const rows = options.rows ?? DEFAULT_DEMO_ROWS;
  const seed = options.seed ?? DEFAULT_BANKING_SEED;
  const workspace = await prepareWorkDir(workDir);

  const data = generateBanking({ rows, seed });
  const values: ScanValue[] = bankingSensitiveValues(data).map(fromSensitiveValue);
  const running: Running[] = [];
  const step = stepRunner(options);

  try {
    await step(0, async () => {
      for (const profile of DEMO_PROFILES) {
        running.push({ server: await startDemoServer(workDir, profile, options.signal) });
      }
    });
    await step(1, () => forEach(running, (r) => loadThroughRelay(r, rows, seed, options)));
    await step(2, () => forEach(running, (r) => exercise(r, rows)));
    const checks = await step(3, () => checkAll(running));
    const evidence = await step(4, () => collectAll(running, workDir));
    const results = await step(5, () => searchAll(evidence, values, options));
    return await step(6, async () =>
      buildReport({ started, workDir, rows, seed, values, running, checks, results, options }),
    );
  } catch (error) {
    throw options.signal?.aborted ? interrupted(error) : error;
  } finally {
    await cleanUp(running, workspace, options.keep === true);
  }
}

/** The working directory of a run, and whether this run created it. */
interface Workspace {
  readonly dir: string;
  readonly created: boolean;
  readonly lockFile: string;
}

const WORK_LOCK = '.demo.lock';

/**
 * Creates the working directory, or takes an existing empty one, and locks it with a file
 * created exclusively, so two demos never share one directory.
 */
async function prepareWorkDir(workDir: string): Promise<Workspace> {
  const existed = await pathExists(workDir);
  await makeDirectories(workDir, 0o700);
  const entries = await readdir(workDir);
  if (entries.includes(WORK_LOCK)) await rejectIfRunning(workDir);
  if (entries.length > 0) {
    throw new DemoError('DEMO_DIR_EXISTS', `${workDir} exists and is not empty`, {
      hint: `pass another --dir, or remove a kept demo first: ${removalCommand(workDir)}`,
    });
  }
  const lockFile = join(workDir, WORK_LOCK);
  try {
    await writeNewFile(lockFile, `${process.pid}\n`);
  } catch {
    throw new DemoError('DEMO_DIR_EXISTS', `another demo is using ${workDir}`, {
      hint: 'wait for it to finish or pass another --dir',
    });
  }
  return { dir: workDir, created: !existed, lockFile };
}

/** Refuses a working directory whose lock a live demo holds, before anything suggests removing it. */
async function rejectIfRunning(workDir: string) {
  const text = await readFile(join(workDir, WORK_LOCK), 'utf8').catch(() => '');
  const owner = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(owner) || owner <= 0 || !(await isProcessRunning(owner))) return;
  throw new DemoError('DEMO_DIR_BUSY', `another demo (pid ${owner}) is using ${workDir}`, {
    hint: 'wait for it to finish, or pass another --dir',
  });
}

/** Shell command that removes a kept demo working directory with its RAM directories. */
export function removalCommand(workDir: string): string {
  const purges = DEMO_PROFILES.map(
    (profile) => `npx mariadb-tdx down --purge --yes --dir ${join(workDir, profile)}`,
  );
  return `${purges.join(' && ')} && rm -rf ${workDir}`;
}

function interrupted(cause: unknown) {
  return new DemoError('INTERRUPTED', 'the demo was interrupted', {
    hint: 'both servers were stopped and the evidence removed; run demo again',
    cause,
  });
}

function stepRunner(options: DemoOptions) {
  return async <T>(index: number, work: () => Promise<T>): Promise<T> => {
    if (options.signal?.aborted) throw interrupted(undefined);
    const event = { step: index + 1, total: STEPS.length, title: STEPS[index]! };
    options.onStep?.({ ...event, state: 'start' });
    const begin = Date.now();
    const result = await work();
    options.onStep?.({ ...event, state: 'done', seconds: (Date.now() - begin) / 1000 });
    return result;
  };
}

async function forEach(running: readonly Running[], work: (r: Running) => Promise<void>) {
  for (const entry of running) await work(entry);
}

async function loadThroughRelay(entry: Running, rows: number, seed: number, options: DemoOptions) {
  const { server } = entry;
  const relay = await startRecordingRelay(server.info.port);
  entry.relay = relay;

  let connectionOptions = { ...server.connection, port: relay.port };
  if (options.plainWire) {
    const plain = await plainTextAccount(server);
    if (plain.rejected) entry.wireNote = plain.rejected;
    else connectionOptions = { ...connectionOptions, ...plain.credentials, plainText: true };
  }

  const connection = await connect(connectionOptions);
  try {
    await loadBanking(connection, { rows, seed, encrypted: true });
    // An application reads customers back, so data also flows from server to client.
    await connection.query('SELECT * FROM Customers.Individuals ORDER BY ID LIMIT 200');
    await connection.query(
      'SELECT i.Name, a.AccountNumber, a.Balance FROM Customers.Accounts a ' +
        'JOIN Customers.Individuals i ON i.ID = a.CustomerID ORDER BY a.AccountID LIMIT 200',
    );
  } finally {
    await connection.end();
  }
}

/**
 * Creates an application account without REQUIRE SSL and tries it over plain TCP. The hardened
 * server rejects that connection, which is the point; the reason is returned.
 */
async function plainTextAccount(server: DemoServer) {
  const password = generatePassword();
  const admin = await server.connect();
  try {
    await admin.query("CREATE USER 'demo_app'@'127.0.0.1' IDENTIFIED BY ?", [password]);
    await admin.query("GRANT ALL ON Customers.* TO 'demo_app'@'127.0.0.1'");
  } finally {
    await admin.end();
  }

  const credentials = { user: 'demo_app', password };
  try {
    const probe = await connect({ ...server.connection, ...credentials, plainText: true });
    await probe.end();
    return { credentials, rejected: undefined };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    return { credentials, rejected: `plain TCP rejected (${code}); loaded over TLS instead` };
  }
}

async function exercise(entry: Running, rows: number) {
  entry.workload = await startWorkload(() => entry.server.connect(), rows);
  entry.rejected = entry.workload.rejected;
  const connection = await entry.server.connect();
  try {
    await flushToDisk(connection);
  } finally {
    await connection.end();
  }
}

async function checkAll(running: readonly Running[]) {
  const checks = {} as Record<DemoProfile, PostureReport>;
  for (const { server } of running) {
    checks[server.profile] = await checkPosture({
      connection: server.connection,
      profile: 'hardened',
    });
  }
  return checks;
}

async function collectAll(running: readonly Running[], workDir: string) {
  const evidence: ServerEvidence[] = [];
  for (const entry of running) {
    const { server } = entry;
    const dir = join(workDir, 'evidence', server.profile);
    const memoryDump = join(dir, 'mariadbd.core');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await dumpProcess({ pid: server.info.pid, output: memoryDump });

    const opened = await copyOpenFiles(
      server.info.pid,
      [server.tmpDir.path],
      join(dir, 'open-files'),
    );
    const tmpFiles = await copyDirectoryFiles(server.tmpDir.path, join(dir, 'tmpdir'));
    await entry.workload?.release();
    entry.workload = undefined;

    const onRam = server.tmpDir.onRam;
    const copies = [...opened, ...tmpFiles].map((file) => ({ copy: file.copy, onRam }));
    const capture = entry.relay?.capture();
    evidence.push({
      profile: server.profile,
      files: await serverFiles(server.layout, copies),
      memoryDump,
      wire: capture
        ? Buffer.concat([capture.clientToServer, capture.serverToClient])
        : Buffer.alloc(0),
    });
  }
  return evidence;
}

async function searchAll(
  evidence: readonly ServerEvidence[],
  values: readonly ScanValue[],
  options: DemoOptions,
) {
  const results: EvidenceResult[] = [];
  // One key for the run, so that a value has the same fingerprint in every cell of the report.
  const redactKey = randomBytes(32);
  for (const item of evidence) {
    results.push(
      ...(await searchEvidence(item, {
        values,
        workers: options.workers,
        redact: options.redact === true,
        redactKey,
        signal: options.signal,
      })),
    );
  }
  return results;
}

interface ReportInputs {
  readonly started: number;
  readonly workDir: string;
  readonly rows: number;
  readonly seed: number;
  readonly values: readonly ScanValue[];
  readonly running: readonly Running[];
  readonly checks: Record<DemoProfile, PostureReport>;
  readonly results: readonly EvidenceResult[];
  readonly options: DemoOptions;
}

function buildReport(inputs: ReportInputs): DemoReport {
  const matrix = buildMatrix(inputs.results);
  const verdicts = judge(matrix, verdictContext(inputs));
  const servers = {} as Record<DemoProfile, DemoServerSummary>;
  for (const entry of inputs.running) {
    servers[entry.server.profile] = {
      port: entry.server.info.port,
      version: entry.server.info.version,
      tmpDirOnRam: entry.server.tmpDir.onRam,
      wireNote: entry.wireNote,
      rejected: entry.rejected ?? [],
    };
  }
  const hardenedLimits = KNOWN_LIMITS.filter((limit) => {
    const row = matrix.find((r) => r.place === limit.place);
    return (row?.cells.hardened.valuesFound ?? 0) > 0;
  });

  return {
    tool: 'mariadb-tdx demo',
    createdAt: new Date().toISOString(),
    seconds: (Date.now() - inputs.started) / 1000,
    rows: inputs.rows,
    seed: inputs.seed,
    valueCount: inputs.values.length,
    redacted: inputs.options.redact === true,
    plainWire: inputs.options.plainWire === true,
    simulated: [
      'Memory: each mariadbd process was dumped from /proc on this machine, the local stand-in ' +
        'for a host-side dump of a VM (virsh dump --memory-only).',
      'No TDX Trust Domain ran here, so "in use" shows what a regular VM exposes. A dump of a TD ' +
        'shows only ciphertext; run `mariadb-tdx leak-test` on a TDX host to compare a TD with a ' +
        'regular VM.',
    ],
    servers,
    matrix,
    verdicts,
    knownLimits: hardenedLimits,
    checks: inputs.checks,
    evidence: inputs.results,
    workDir: inputs.options.keep ? inputs.workDir : undefined,
  };
}

function verdictContext(inputs: ReportInputs): VerdictContext {
  const keysInClear = {} as Record<DemoProfile, boolean>;
  const plainTcpAccepted = {} as Record<DemoProfile, boolean>;
  for (const { server } of inputs.running) {
    keysInClear[server.profile] = server.info.keyProtection === 'key file';
    const t03 = inputs.checks[server.profile].findings.find((f) => f.id === 'T03');
    plainTcpAccepted[server.profile] = t03?.status !== 'pass';
  }
  return { keysInClear, plainTcpAccepted };
}

/**
 * Stops both servers and, unless `keep`, deletes the evidence and the servers' directories,
 * including their RAM-backed tmpdirs. It never throws, so that a failure here cannot hide the
 * run's result; a directory that existed before the run is emptied, not removed.
 */
async function cleanUp(running: readonly Running[], workspace: Workspace, keep: boolean) {
  for (const entry of running) {
    await entry.workload?.release().catch(() => undefined);
    await entry.relay?.close().catch(() => undefined);
  }
  // Both profiles, also a server whose start failed and never reached `running`.
  for (const profile of DEMO_PROFILES) {
    const dir = join(workspace.dir, profile);
    await down({ dir }).catch(() => undefined);
    if (!keep) await purgeStateDir(dir);
  }

  if (keep) {
    await rm(workspace.lockFile, { force: true }).catch(() => undefined);
    return;
  }
  const entries = await readdir(workspace.dir).catch(() => [] as string[]);
  for (const entry of entries) {
    await rm(join(workspace.dir, entry), { recursive: true, force: true }).catch(() => undefined);
  }
  if (workspace.created) await rmdir(workspace.dir).catch(() => undefined);
}

async function purgeStateDir(dir: string) {
  const layout = stateLayout(dir);
  await down({ dir, purge: true, yes: true }).catch(() => undefined);
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  if (layout.ramTmpDir)
    await rm(layout.ramTmpDir, { recursive: true, force: true }).catch(() => undefined);
}
