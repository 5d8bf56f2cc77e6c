import { createConnection, type Socket } from 'node:net';
import { VmError } from './errors.js';

/** An asynchronous QMP event, such as STOP, RESUME or DUMP_COMPLETED. */
export interface QmpEvent {
  readonly event: string;
  readonly data?: Record<string, unknown> | undefined;
}

interface Pending {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface EventWaiter {
  readonly name: string;
  readonly resolve: (event: QmpEvent) => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A client of the QEMU Machine Protocol over a UNIX socket: newline-delimited JSON, one
 * command in flight per id, events kept so that a caller can wait for one that already arrived.
 *
 * @example
 * const qmp = await QmpClient.connect('/run/vm/qmp.sock');
 * const status = await qmp.execute('query-status');
 * qmp.close();
 */
export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private closedError: Error | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly events: QmpEvent[] = [];
  private readonly waiters: EventWaiter[] = [];

  private constructor(
    private readonly socket: Socket,
    path: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => this.fail(new VmError('QMP_FAILED', `QMP socket ${path} closed`)));
    socket.on('error', (error) =>
      this.fail(new VmError('QMP_FAILED', `QMP socket ${path}: ${error.message}`)),
    );
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpClient> {
    const socket = await openSocket(path, timeoutMs);
    const client = new QmpClient(socket, path);
    await client.execute('qmp_capabilities', undefined, timeoutMs);
    return client;
  }

  /** Runs a command and returns its `return` value; QMP_FAILED carries QEMU's error text. */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);

    const id = `mtdx-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new VmError('QMP_FAILED', `QMP command ${command} timed out after ${timeoutMs / 1000} s`),
        );
      }, timeoutMs);
      this.pending.set(id, {
        command,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      const message =
        args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Resolves with the first event of that name received from now on or already received. */
  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    const seen = this.events.find((event) => event.event === name);
    if (seen) {
      this.events.splice(this.events.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    if (this.closedError) return Promise.reject(this.closedError);

    return new Promise<QmpEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new VmError('QMP_FAILED', `no ${name} event within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const waiter: EventWaiter = {
        name,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Forgets events received so far, so that a later wait matches only new ones. */
  clearEvents() {
    this.events.length = 0;
  }

  close() {
    this.socket.destroy();
  }

  private receive(chunk: string) {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line.length > 0) this.dispatch(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  private dispatch(line: string) {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof message.event === 'string') {
      this.deliverEvent({ event: message.event, data: message.data as QmpEvent['data'] });
      return;
    }

    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);

    const error = message.error as { class?: string; desc?: string } | undefined;
    if (error) {
      pending.reject(
        new VmError('QMP_FAILED', `QMP ${pending.command} failed: ${error.desc ?? error.class}`),
      );
    } else {
      pending.resolve(message.return);
    }
  }

  private deliverEvent(event: QmpEvent) {
    const waiter = this.waiters.find((candidate) => candidate.name === event.event);
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(event);
      return;
    }
    this.events.push(event);
  }

  private fail(error: Error) {
    if (this.closedError) return;
    this.closedError = error;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}

function openSocket(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new VmError(
          'QMP_FAILED',
          `QMP socket ${path} did not respond within ${timeoutMs / 1000} s`,
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new VmError(
          'QMP_FAILED',
          `cannot connect to QMP socket ${path}: ${error.code ?? error.message}`,
          {
            hint: 'the VM is not running, or it was started by another user',
          },
        ),
      );
    });
  });
}
