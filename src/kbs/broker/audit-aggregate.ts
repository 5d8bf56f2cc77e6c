import type { AuditEvent, AuditSink } from './logging.js';

/** Length of one aggregation window for repeated audit events. */
export const AUDIT_WINDOW_MS = 60_000;

/** An audit sink that folds repeats, and writes what it holds when flushed. */
export interface AggregatingSink {
  readonly sink: AuditSink;
  /** Writes the counts of the windows that have ended. */
  readonly closeExpired: () => void;
  /** Writes the counts of every open window. */
  readonly flush: () => void;
}

interface Window {
  readonly first: AuditEvent;
  readonly startedAt: number;
  repeated: number;
}

/**
 * Writes every decision about keys (attest and resource events) at once, but folds `auth`
 * events: the first of each kind (client, decision, code) in a window is written, repeats are
 * counted, and one line with the count closes the window. A client flooding `auth` then costs
 * one or two lines a minute instead of one per request.
 */
export function aggregateAudit(
  sink: AuditSink,
  options: { windowMs?: number; now?: () => number } = {},
): AggregatingSink {
  const windowMs = options.windowMs ?? AUDIT_WINDOW_MS;
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();

  const close = (key: string, window: Window) => {
    windows.delete(key);
    if (window.repeated === 0) return;
    sink({
      ...window.first,
      session: undefined,
      repeated: window.repeated,
      since: new Date(window.startedAt).toISOString(),
    });
  };
  const closeExpired = () => {
    const time = now();
    for (const [key, window] of windows) {
      if (!(time - window.startedAt < windowMs)) close(key, window);
    }
  };

  return {
    sink: (event) => {
      if (event.event !== 'auth') return sink(event);
      closeExpired();
      const key = [event.client, event.decision, event.code].join('|');
      const window = windows.get(key);
      if (window) {
        window.repeated += 1;
        return;
      }
      windows.set(key, { first: event, startedAt: now(), repeated: 0 });
      sink(event);
    },
    closeExpired,
    flush: () => {
      for (const [key, window] of windows) close(key, window);
    },
  };
}
