import { SingleBar } from 'cli-progress';

const SHOW_CURSOR = '\x1b[?25h';

/** A progress bar on standard error that starts at its first update. */
export interface ProgressBar {
  update(value: number, total: number, payload?: Record<string, string>): void;
  /** Ends the bar and shows the cursor again; safe to call more than once. */
  stop(): void;
}

/**
 * Creates a progress bar on standard error when it is a terminal and `enabled` is true, else
 * undefined. The bar hides the cursor while it runs. `stop` shows it again, and so does a
 * handler on process exit, in case the command ends without reaching `stop`.
 */
export function progressBar(format: string, enabled: boolean): ProgressBar | undefined {
  if (!enabled || !process.stderr.isTTY) return undefined;
  const bar = new SingleBar({ format, stream: process.stderr, hideCursor: true, barsize: 30 });
  let running = false;
  const restoreCursor = () => {
    process.stderr.write(SHOW_CURSOR);
  };

  return {
    update(value, total, payload) {
      if (!running) {
        running = true;
        process.once('exit', restoreCursor);
        bar.start(Math.max(1, total), 0, payload);
      }
      bar.update(value, payload);
    },
    stop() {
      if (!running) return;
      running = false;
      bar.stop();
      process.removeListener('exit', restoreCursor);
    },
  };
}

/**
 * Turns SIGINT, SIGTERM and SIGHUP into an aborted signal while `work` runs, so that the
 * command can stop its workers, restore the terminal and clean up before it exits. A second
 * signal of the same kind ends the process at once, as it would without the handler.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (name: NodeJS.Signals) => controller.abort(name);
  for (const name of signals) process.once(name, onSignal);
  try {
    return await work(controller.signal);
  } finally {
    for (const name of signals) process.removeListener(name, onSignal);
  }
}
