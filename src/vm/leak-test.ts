import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { flushToDisk, startWorkload, type RunningWorkload } from '../demo/workload.js';
import { controlValues, plantCustomers, type PlantedValue } from '../dataset/plant.js';
import { backendFor } from './backends.js';
import type { DumpFormat } from './backend.js';
import { dumpVm } from './dump.js';
import { VmError } from './errors.js';
import { connectVm, finishGuest } from './guest-link.js';
import { ConfigError, MariadbTdxError } from '../errors.js';
import { vmLayout } from './layout.js';
import { readVmRecord, type VmRecord } from './registry.js';
import { decodeTdAttributes, parseTdPolicy, type TdAttributes } from './td-policy.js';
import type { DumpScanner } from './leak-scan.js';
import { confirmAddresses } from './leak-confirm.js';
import type { LiveMachine } from './live-machine.js';

/** Options of {@link leakTest}. */
export interface LeakTestOptions {
  readonly vmRoot: string;
  readonly names: readonly string[];
  /** Customers planted per VM, four values each; default 5. */
  readonly customers?: number | undefined;
  /** Directory for the dumps; default a temporary directory, removed afterwards. */
  readonly dumpDir?: string | undefined;
  /** Keeps the dump files. */
  readonly keepDumps?: boolean | undefined;
  readonly format?: DumpFormat | undefined;
  readonly scanner: DumpScanner;
  readonly onStep?: ((step: string) => void) | undefined;
  /**
   * Aborting stops the run with INTERRUPTED after resuming every VM it paused and deleting its
   * temporary dumps.
   */
  readonly signal?: AbortSignal | undefined;
}

/** Outcome for the planted values of one VM. */
export type LeakVerdict =
  'readable' | 'protected' | 'leaked' | 'debug-td' | 'not-a-td' | 'inconclusive';

/** One column of the side-by-side result. */
export interface LeakTestVmResult {
  readonly name: string;
  readonly kind: VmRecord['kind'];
  readonly backend: VmRecord['backend'];
  readonly accel: VmRecord['accel'];
  /** Attributes of the running TD where the hypervisor shows them, else those in vm.json. */
  readonly tdAttributes?: TdAttributes | undefined;
  /** Settings the hypervisor reports for the running VM; undefined when they could not be read. */
  readonly live?: LiveMachine | undefined;
  /** The policy in vm.json when the running TD has a different one. */
  readonly recordedPolicyMismatch?: string | undefined;
  /** Verdict of `guest check` inside the VM when it was provisioned. */
  readonly guestSaysTd: boolean | undefined;
  readonly planted: number;
  readonly found: number;
  readonly hits: number;
  /** Values never planted that the scan searched for as well; any hit is a false positive. */
  readonly controls: number;
  readonly controlsFound: number;
  /** First hits, without the values: where the value came from, encoding, guest-physical address. */
  readonly examples: readonly { label: string; encoding: string; address?: string | undefined }[];
  /** Hits re-read from guest memory through QMP pmemsave, and how many matched. */
  readonly addressesChecked: number;
  readonly addressesConfirmed: number;
  readonly dump: {
    readonly file?: string | undefined;
    readonly bytes: number;
    readonly seconds: number;
    readonly format: DumpFormat;
  };
  readonly scanSeconds: number;
  readonly verdict: LeakVerdict;
}

/** The result of {@link leakTest}. */
export interface LeakTestReport {
  readonly vms: readonly LeakTestVmResult[];
  /** True when every TD kept the values out of its dump and every regular VM showed them. */
  readonly passed: boolean;
  /** Statements of what ran for real and what this host could not run. */
  readonly notes: readonly string[];
}

const DEFAULT_CUSTOMERS = 5;
const CONTROL_CUSTOMERS = 2;

/**
 * Runs the host administrator's experiment: plants fresh customer records through verified TLS
 * in each VM's MariaDB, runs the demo workload, dumps each VM's memory from the host and scans
 * the dump for every planted value. A regular VM is expected to show them; a TD must not. Hits are
 * confirmed by reading the same guest-physical addresses back through QMP.
 */
export async function leakTest(options: LeakTestOptions): Promise<LeakTestReport> {
  if (options.names.length === 0) {
    throw new VmError('VM_NOT_FOUND', 'leak-test needs at least one VM', {
      hint: 'pass --vms A,B',
    });
  }
  const repeated = options.names.filter((name, index) => options.names.indexOf(name) !== index);
  if (repeated.length > 0) {
    throw new ConfigError('INVALID_OPTION', `--vms names ${repeated.join(', ')} more than once`, {
      hint: 'list each VM once',
    });
  }
  const records = await Promise.all(
    options.names.map((name) => readVmRecord(options.vmRoot, name)),
  );
  const ready: VmRecord[] = [];
  for (const record of records) ready.push(await requireHealthyVm(record, options.vmRoot));
  const dumpDir = options.dumpDir
    ? resolve(options.dumpDir)
    : await mkdtemp(join(options.vmRoot, '.leak-test-'));
  await mkdir(dumpDir, { recursive: true });

  const results: LeakTestVmResult[] = [];
  try {
    for (const record of ready) {
      throwIfAborted(options.signal);
      results.push(await testVm(record, dumpDir, options));
    }
  } finally {
    if (!options.dumpDir) await rm(dumpDir, { recursive: true, force: true });
  }
  return {
    vms: results,
    passed: results.every((r) => passes(r.verdict)),
    notes: notesFor(results),
  };
}

function throwIfAborted(signal: AbortSignal | undefined) {
  if (signal?.aborted) {
    throw new VmError('INTERRUPTED', 'leak-test was interrupted; every VM it paused was resumed');
  }
}

/**
 * Checks that a VM can take part before anything is planted: it runs (a paused VM would time
 * out every connection), and it reported ready. A VM whose creation stopped waiting is picked up
 * here when its console shows that it became ready since.
 */
async function requireHealthyVm(record: VmRecord, vmRoot: string): Promise<VmRecord> {
  const layout = vmLayout(vmRoot, record.name);
  const state = await backendFor(record).state(record, layout);
  if (state === 'paused') {
    throw new VmError('VM_NOT_RUNNING', `${record.name} is paused, so its MariaDB cannot respond`, {
      hint: `resume it: ${resumeCommand(record, layout.qmpSocket)}`,
    });
  }
  if (state !== 'running') {
    throw new VmError('VM_NOT_RUNNING', `${record.name} is ${state}`, {
      hint: `create it again: mariadb-tdx vm rm ${record.name}, then mariadb-tdx vm create`,
    });
  }
  if (record.guest !== undefined) return record;

  try {
    return await finishGuest(record, layout, { timeoutMs: 0 });
  } catch (error) {
    if (!(error instanceof VmError && error.code === 'GUEST_TIMEOUT')) {
      throw guestFailure(record, error);
    }
    throw new VmError('VM_STATE_INVALID', `${record.name} has not reported MariaDB ready yet`, {
      hint: `wait for it: mariadb-tdx vm wait ${record.name} (console: ${layout.consoleLog})`,
      cause: error,
    });
  }
}

function resumeCommand(record: VmRecord, qmpSocket: string): string {
  if (record.backend === 'libvirt') {
    return `virsh${record.connect ? ` --connect '${record.connect}'` : ''} resume ${record.domain}`;
  }
  return `echo '{"execute":"qmp_capabilities"} {"execute":"cont"}' | socat - UNIX-CONNECT:${qmpSocket}`;
}

/** Names the VM in a failure to reach its MariaDB and gives the command that starts it again. */
function guestFailure(record: VmRecord, error: unknown): unknown {
  if (
    error instanceof VmError &&
    (error.code === 'INTERRUPTED' || error.code === 'VM_STATE_INVALID')
  ) {
    return error;
  }
  const code = error instanceof MariadbTdxError ? ` (${error.code})` : '';
  const message = error instanceof Error ? error.message : String(error);
  return new VmError(
    'GUEST_UNREACHABLE',
    `${record.name}: MariaDB in the guest failed${code}: ${message}`,
    {
      hint:
        `check that MariaDB runs in the guest: ssh -p ${record.ports.ssh} root@127.0.0.1 ` +
        'systemctl status mariadb-tdx (start it with systemctl start mariadb-tdx)',
      cause: error,
    },
  );
}

async function testVm(
  record: VmRecord,
  dumpDir: string,
  options: LeakTestOptions,
): Promise<LeakTestVmResult> {
  const step = (text: string) => options.onStep?.(`${record.name}: ${text}`);
  const layout = vmLayout(options.vmRoot, record.name);
  const backend = backendFor(record);

  const live = await backend.liveMachine(record, layout).catch(() => undefined);

  step('planting fresh customer records over verified TLS');
  const connection = await connectVm(record, layout).catch((error: unknown) => {
    throw guestFailure(record, error);
  });
  let planted: PlantedValue[];
  let workload: RunningWorkload;
  try {
    planted = [
      ...(await plantCustomers(connection, options.customers ?? DEFAULT_CUSTOMERS)).values,
    ];
    const [row] = (await connection.query('SELECT COUNT(*) AS n FROM Customers.Individuals')) as {
      n: bigint;
    }[];
    step('running the demo workload');
    workload = await startWorkload(
      () => connectVm(record, layout, 'Customers'),
      Number(row?.n ?? 0),
    );
    await flushToDisk(connection);
  } catch (error) {
    throw guestFailure(record, error);
  } finally {
    await connection.end().catch(() => undefined);
  }

  const file = join(
    dumpDir,
    `${record.name}.${options.format === undefined || options.format === 'elf' ? 'elf' : 'kdump'}`,
  );
  try {
    throwIfAborted(options.signal);
    await backend.pause(record, layout);
    step('dumping guest memory from the host');
    const dump = await dumpVm({
      vmRoot: options.vmRoot,
      name: record.name,
      output: file,
      format: options.format,
      force: true,
      signal: options.signal,
      onWaitAfterAbort: () =>
        step('interrupted: waiting for QEMU to finish the dump, which it cannot cancel'),
    });
    throwIfAborted(options.signal);
    step('scanning the dump');
    const controls = controlValues(CONTROL_CUSTOMERS).map((value) => ({
      value,
      label: 'control (never planted)',
    }));
    const scanned = await options.scanner(file, [...planted.map(label), ...controls]);
    throwIfAborted(options.signal);
    const confirmation = await confirmAddresses(record, layout, planted, scanned.hits, dumpDir);
    if (!options.keepDumps) await rm(file, { force: true });
    return summarize(record, live, planted, scanned, confirmation, {
      file: options.keepDumps ? file : undefined,
      bytes: dump.bytes,
      seconds: dump.seconds,
      format: dump.format,
    });
  } catch (error) {
    // A dump kept on request is deleted when the run is interrupted, because it is incomplete
    // evidence that nothing else reports.
    if (error instanceof VmError && error.code === 'INTERRUPTED') await rm(file, { force: true });
    throw error;
  } finally {
    await backend.resume(record, layout).catch(() => undefined);
    await workload.release();
  }
}

function label(value: PlantedValue) {
  return {
    value: value.value,
    label: `Customers.${value.column === 'AccountNumber' ? 'Accounts' : 'Individuals'}.${value.column}`,
  };
}

function summarize(
  record: VmRecord,
  live: LiveMachine | undefined,
  planted: readonly PlantedValue[],
  scanned: Awaited<ReturnType<DumpScanner>>,
  confirmation: { checked: number; confirmed: number },
  dump: LeakTestVmResult['dump'],
): LeakTestVmResult {
  const policyText = live?.tdPolicy ?? record.tdPolicy;
  const policy = policyText === undefined ? undefined : parseTdPolicy(policyText);
  const tdAttributes = policy === undefined ? undefined : decodeTdAttributes(policy);
  const mismatch =
    live?.tdPolicy !== undefined &&
    record.tdPolicy !== undefined &&
    live.tdPolicy !== record.tdPolicy
      ? record.tdPolicy
      : undefined;
  const counts = scanned.hitCounts;
  const found = counts.slice(0, planted.length).filter((count) => count > 0).length;
  const controlsFound = counts.slice(planted.length).filter((count) => count > 0).length;
  const plantedHits = scanned.hits.filter((hit) => hit.valueIndex < planted.length);
  return {
    name: record.name,
    kind: record.kind,
    backend: record.backend,
    accel: live?.accel ?? record.accel,
    tdAttributes,
    live,
    recordedPolicyMismatch: mismatch,
    guestSaysTd: record.guest?.isTd,
    planted: planted.length,
    found,
    hits: counts.slice(0, planted.length).reduce((sum, count) => sum + count, 0),
    controls: counts.length - planted.length,
    controlsFound,
    examples: plantedHits.slice(0, 5).map((hit) => ({
      label: label(planted[hit.valueIndex]!).label,
      encoding: hit.encoding,
      address:
        hit.physicalAddress === undefined ? undefined : `0x${hit.physicalAddress.toString(16)}`,
    })),
    addressesChecked: confirmation.checked,
    addressesConfirmed: confirmation.confirmed,
    dump,
    scanSeconds: scanned.seconds,
    verdict: leakVerdict(record.kind, tdAttributes, found, controlsFound, live),
  };
}

/**
 * Decides what a dump shows. A "TD" that the hypervisor runs without TDX or under software
 * emulation is no TD at all, and a debug TD is readable by design, whatever the scan found. A
 * scan that matched a control value cannot be trusted at all.
 */
export function leakVerdict(
  kind: VmRecord['kind'],
  attributes: TdAttributes | undefined,
  found: number,
  controlsFound: number,
  live?: LiveMachine,
): LeakVerdict {
  if (kind === 'td' && live && (!live.tdx || live.accel === 'tcg')) return 'not-a-td';
  if (kind === 'td' && attributes?.debug) return 'debug-td';
  if (controlsFound > 0) return 'inconclusive';
  if (kind === 'td') return found === 0 ? 'protected' : 'leaked';
  return found > 0 ? 'readable' : 'inconclusive';
}

function passes(verdict: LeakVerdict): boolean {
  return verdict === 'readable' || verdict === 'protected';
}

function notesFor(results: readonly LeakTestVmResult[]): string[] {
  const notes: string[] = [];
  for (const result of results) {
    if (result.kind === 'regular' && result.accel === 'tcg') {
      notes.push(
        `${result.name} ran under QEMU software emulation (TCG); its dump is a real host-side dump.`,
      );
    }
    if (result.verdict === 'not-a-td') {
      notes.push(
        `${result.name} is recorded as a TD but runs ${result.live?.tdx ? 'under software emulation (TCG)' : 'without TDX'}: its memory is readable by the host.`,
      );
    }
    if (result.kind === 'td' && result.live === undefined) {
      notes.push(
        `${result.name}: the running VM's TD settings could not be read; vm.json was used.`,
      );
    }
    if (result.recordedPolicyMismatch !== undefined) {
      notes.push(
        `${result.name} runs with TD policy ${result.tdAttributes?.value}, not ${result.recordedPolicyMismatch} as vm.json records; the running policy is reported.`,
      );
    }
    if (result.verdict === 'debug-td') {
      notes.push(
        `${result.name} is a debug TD (policy ${result.tdAttributes?.value}): the host can read its memory by design.`,
      );
    }
    if (result.controlsFound > 0) {
      notes.push(
        `${result.name}: the scan matched ${result.controlsFound} values that were never planted, so its hits cannot be trusted.`,
      );
    } else if (result.verdict === 'inconclusive') {
      notes.push(
        `${result.name}: no planted value was found in a regular VM's dump, so this run proves nothing.`,
      );
    }
  }
  if (!results.some((result) => result.kind === 'td')) {
    notes.push(
      'No TD took part in this run, so it shows only what a host reads from a regular VM. On a TDX host, ' +
        'run: mariadb-tdx leak-test --vms TD,REGULAR with one of each.',
    );
  }
  return notes;
}
