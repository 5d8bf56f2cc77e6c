import { XMLParser } from 'fast-xml-parser';
import {
  DUMP_FORMATS,
  type BackendDumpOptions,
  type DumpFormat,
  type VmBackend,
  type VmRunState,
} from './backend.js';
import { VmError } from './errors.js';
import { parseDomainXml, type LiveMachine } from './live-machine.js';
import type { VmLayout } from './layout.js';
import type { VmRecord } from './registry.js';
import { Virsh } from './virsh.js';

const DUMP_TIMEOUT_MS = 60 * 60 * 1000;

/** Runs VMs through `virsh` against a libvirt daemon: the system one, or the --connect URI. */
export class LibvirtBackend implements VmBackend {
  private virshPromise: Promise<Virsh> | undefined;

  constructor(private readonly uri: string | undefined) {}

  private virsh(): Promise<Virsh> {
    this.virshPromise ??= Virsh.locate(this.uri);
    return this.virshPromise;
  }

  async start(record: VmRecord, layout: VmLayout) {
    const virsh = await this.virsh();
    await virsh.runChecked(['define', layout.domainXml]);
    try {
      await virsh.runChecked(['start', record.domain]);
    } catch (error) {
      await virsh.run(['undefine', record.domain]);
      const message = error instanceof Error ? error.message : String(error);
      throw new VmError('START_FAILED', `libvirt did not start ${record.domain}: ${message}`, {
        hint: `the domain XML is in ${layout.domainXml}; remove the VM with: mariadb-tdx vm rm ${record.name}`,
        cause: error,
      });
    }
  }

  async state(record: VmRecord): Promise<VmRunState> {
    const state = await (await this.virsh()).domainState(record.domain);
    if (state === undefined) return 'missing';
    if (state === 'running') return 'running';
    if (state === 'paused') return 'paused';
    return 'stopped';
  }

  async pause(record: VmRecord) {
    await (await this.virsh()).runChecked(['suspend', record.domain]);
  }

  async resume(record: VmRecord) {
    await (await this.virsh()).runChecked(['resume', record.domain]);
  }

  async destroy(record: VmRecord) {
    const virsh = await this.virsh();
    const state = await virsh.domainState(record.domain);
    if (state === undefined) return;
    if (state !== 'shut off') await virsh.runChecked(['destroy', record.domain]);
    await virsh.runChecked(['undefine', record.domain]);
  }

  async dumpFormats(record: VmRecord): Promise<DumpFormat[]> {
    const caps = await (
      await this.virsh()
    ).qmp<{ formats: string[] }>(record.domain, 'query-dump-guest-memory-capability');
    return DUMP_FORMATS.filter((format) => caps.formats.includes(format));
  }

  // NOTE: no progress is reported for libvirt dumps; polling `virsh domjobinfo` would add it.
  /**
   * Runs `virsh dump --memory-only` to the end even after an abort: QEMU has no command that
   * cancels a dump, so the caller waits for virsh and then removes the file.
   */
  async dump(
    record: VmRecord,
    _layout: VmLayout,
    file: string,
    format: DumpFormat,
    options: BackendDumpOptions = {},
  ) {
    if (options.signal?.aborted) throw new VmError('INTERRUPTED', 'the dump was interrupted');
    const onAbort = () => options.onWaitAfterAbort?.();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const args = ['dump', '--memory-only', ...(format === 'elf' ? [] : ['--format', format])];
    try {
      await (await this.virsh()).runChecked([...args, record.domain, file], DUMP_TIMEOUT_MS);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async savePhysicalMemory(
    record: VmRecord,
    _layout: VmLayout,
    address: bigint,
    size: number,
    file: string,
  ) {
    await (
      await this.virsh()
    ).qmp(record.domain, 'pmemsave', { val: Number(address), size, filename: file });
  }

  /** Reads the XML of the running domain, which can differ from the domain.xml written. */
  async liveMachine(record: VmRecord): Promise<LiveMachine> {
    return parseDomainXml(await (await this.virsh()).dumpXml(record.domain));
  }

  async vsockCid(record: VmRecord): Promise<number | undefined> {
    const xml = await (await this.virsh()).dumpXml(record.domain);
    return parseVsockCid(xml);
  }
}

/** Reads the CID libvirt assigned from a running domain's XML (`<cid auto='yes' address='3'/>`). */
export function parseVsockCid(xml: string): number | undefined {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
  const parsed = parser.parse(xml) as {
    domain?: { devices?: { vsock?: { cid?: Record<string, string> } } };
  };
  const address = parsed.domain?.devices?.vsock?.cid?.['@_address'];
  const cid = address === undefined ? Number.NaN : Number(address);
  return Number.isInteger(cid) && cid >= 3 ? cid : undefined;
}
