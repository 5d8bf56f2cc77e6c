import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAnnouncements, type GuestAnnouncement } from './announce.js';
import type { VmBackend } from './backend.js';
import { VmError } from './errors.js';
import type { GuestCheckReport } from './guest-check.js';
import type { VmLayout } from './layout.js';
import type { VmRecord } from './registry.js';

/** Facts a provisioned guest announced on its console. */
export interface GuestReady {
  readonly caPem: string;
  readonly port: number;
  readonly version: string;
  readonly guestCheck: GuestCheckReport | undefined;
}

/** Options of {@link waitForGuest}. */
export interface WaitForGuestOptions {
  readonly timeoutMs: number;
  readonly pollMs?: number | undefined;
  /** Called once per provisioning stage the guest announces. */
  readonly onStage?: ((stage: string) => void) | undefined;
  /** Aborting stops the wait with INTERRUPTED. */
  readonly signal?: AbortSignal | undefined;
  /** Called once when the console is still empty after `silentConsoleMs` (default 60 s). */
  readonly onSilentConsole?: (() => void) | undefined;
  readonly silentConsoleMs?: number | undefined;
}

const CONSOLE_TAIL_LINES = 15;
const STATE_CHECK_EVERY = 5;

/**
 * Follows the guest's serial console until provisioning reports `ready` (with the CA
 * certificate of its MariaDB) or `failed`, the VM stops, or the time runs out. Every failure
 * carries the last console lines, which is where boot and cloud-init problems show.
 */
export async function waitForGuest(
  record: VmRecord,
  layout: VmLayout,
  backend: VmBackend,
  options: WaitForGuestOptions,
): Promise<GuestReady> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const seenStages = new Set<string>();
  let silenceReported = false;

  for (let round = 0; ; round++) {
    const text = await readConsole(layout.consoleLog);
    const announcements = parseAnnouncements(text);
    for (const a of announcements) {
      if (a.type === 'stage' && !seenStages.has(a.name)) {
        seenStages.add(a.name);
        options.onStage?.(a.name);
      }
    }

    const failed = announcements.find((a) => a.type === 'failed');
    if (failed?.type === 'failed') {
      throw new VmError(
        'GUEST_PROVISION_FAILED',
        `provisioning in ${record.name} failed: ${failed.message}`,
        {
          hint: `the guest console is in ${layout.consoleLog}`,
        },
      );
    }
    const ready = readyResult(announcements);
    if (ready) return ready;

    const silentFor = Date.now() - started;
    if (!silenceReported && text.length === 0 && silentFor >= (options.silentConsoleMs ?? 60_000)) {
      silenceReported = true;
      options.onSilentConsole?.();
    }
    if (options.signal?.aborted) {
      throw new VmError('INTERRUPTED', `the wait for ${record.name} was interrupted`);
    }
    if (round % STATE_CHECK_EVERY === 0) await checkStillRunning(record, layout, backend, text);
    if (Date.now() >= deadline) {
      throw new VmError(
        'GUEST_TIMEOUT',
        `${record.name} did not report ready within ${Math.round(options.timeoutMs / 1000)} s; last console lines:\n${consoleTail(text)}`,
        {
          hint: `the VM keeps running for inspection (console: ${layout.consoleLog}); remove it with: mariadb-tdx vm rm ${record.name}`,
        },
      );
    }
    await sleep(options.pollMs ?? 1000, undefined, { signal: options.signal }).catch(
      () => undefined,
    );
  }
}

function readyResult(announcements: GuestAnnouncement[]): GuestReady | undefined {
  const ready = announcements.findLast((a) => a.type === 'ready');
  const ca = announcements.findLast((a) => a.type === 'ca');
  if (ready?.type !== 'ready' || ca?.type !== 'ca') return undefined;
  const check = announcements.findLast((a) => a.type === 'guest-check');
  return {
    caPem: ca.pem,
    port: ready.port,
    version: ready.version,
    guestCheck: check?.type === 'guest-check' ? (check.report as GuestCheckReport) : undefined,
  };
}

async function checkStillRunning(
  record: VmRecord,
  layout: VmLayout,
  backend: VmBackend,
  text: string,
) {
  const state = await backend.state(record, layout);
  if (state === 'running' || state === 'paused') return;
  throw new VmError(
    'GUEST_EXITED',
    `${record.name} is ${state} before it reported ready; last console lines:\n${consoleTail(text)}`,
    {
      hint: `see ${layout.consoleLog}; remove the VM with: mariadb-tdx vm rm ${record.name}`,
    },
  );
}

async function readConsole(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** Returns the last console lines without terminal escape sequences and control characters. */
export function consoleTail(text: string, count = CONSOLE_TAIL_LINES): string {
  const lines = text
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '')
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0);
  return lines.length === 0
    ? '  (the console is empty)'
    : lines
        .slice(-count)
        .map((l) => `  ${l}`)
        .join('\n');
}
