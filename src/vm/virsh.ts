import { VmError } from './errors.js';
import { lastLines, locateTool, runTool, type ToolResult } from './tools.js';

const DEFAULT_TIMEOUT_MS = 120_000;

// virsh prints these when the domain does not exist (VIR_ERR_NO_DOMAIN).
const NO_DOMAIN = /failed to get domain|Domain not found|no domain with matching name/i;
const NO_CONNECTION = /failed to connect to the hypervisor|Failed to connect socket/i;

/** Runs `virsh` against one libvirt connection and turns its failures into VmErrors. */
export class Virsh {
  private constructor(
    private readonly path: string,
    readonly uri: string | undefined,
  ) {}

  /** Finds virsh; TOOL_MISSING names the packages that install it. */
  static async locate(uri?: string): Promise<Virsh> {
    return new Virsh(await locateTool('virsh'), uri);
  }

  run(args: readonly string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ToolResult> {
    const connection = this.uri ? ['--connect', this.uri] : [];
    return runTool(this.path, [...connection, '--quiet', ...args], { timeoutMs });
  }

  /** Runs a command and returns its standard output; VIRSH_FAILED carries virsh's error. */
  async runChecked(args: readonly string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const result = await this.run(args, timeoutMs);
    if (result.code === 0) return result.stdout;

    const message = lastLines(result.stderr || result.stdout, 4);
    if (NO_CONNECTION.test(message)) {
      throw new VmError(
        'VIRSH_FAILED',
        `cannot connect to libvirt${this.uri ? ` at ${this.uri}` : ''}: ${message}`,
        {
          hint: 'start libvirtd (apt-get install libvirt-daemon-system), pass --connect URI, or use --qemu',
        },
      );
    }
    if (NO_DOMAIN.test(message)) {
      throw new VmError(
        'VM_NOT_FOUND',
        `libvirt has no domain for: virsh ${args.join(' ')}: ${message}`,
      );
    }
    throw new VmError('VIRSH_FAILED', `virsh ${args[0]} failed: ${message}`);
  }

  /** Returns the domain's state (`running`, `paused`, `shut off`, …), or undefined when it does not exist. */
  async domainState(domain: string): Promise<string | undefined> {
    try {
      return (await this.runChecked(['domstate', domain])).trim();
    } catch (error) {
      if (error instanceof VmError && error.code === 'VM_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async dumpXml(domain: string): Promise<string> {
    return this.runChecked(['dumpxml', domain]);
  }

  /** Sends a QMP command through libvirt's monitor passthrough and returns its `return` value. */
  async qmp<T = unknown>(
    domain: string,
    command: string,
    args?: Record<string, unknown>,
  ): Promise<T> {
    const message = JSON.stringify(
      args ? { execute: command, arguments: args } : { execute: command },
    );
    const output = await this.runChecked(['qemu-monitor-command', domain, message]);
    const reply = JSON.parse(output) as { return?: T; error?: { desc?: string } };
    if (reply.error) {
      throw new VmError('QMP_FAILED', `QMP ${command} through libvirt failed: ${reply.error.desc}`);
    }
    return reply.return as T;
  }

  /** Returns the daemon's libvirt version, e.g. `11.6.0`, or undefined when no daemon responds. */
  async daemonVersion(): Promise<string | undefined> {
    const result = await this.run(['version', '--daemon'], 30_000);
    if (result.code !== 0) return undefined;
    return /Running against daemon:\s*(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1];
  }
}
