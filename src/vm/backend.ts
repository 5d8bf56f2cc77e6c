import type { VmLayout } from './layout.js';
import type { LiveMachine } from './live-machine.js';
import type { VmRecord } from './registry.js';

/** A VM's run state, in the backend's words mapped to four cases. */
export type VmRunState = 'running' | 'paused' | 'stopped' | 'missing';

/** Memory dump formats of QEMU's `dump-guest-memory` that make sense for a Linux guest. */
export type DumpFormat = 'elf' | 'kdump-zlib' | 'kdump-lzo' | 'kdump-snappy';

export const DUMP_FORMATS: readonly DumpFormat[] = [
  'elf',
  'kdump-zlib',
  'kdump-lzo',
  'kdump-snappy',
];

/** Progress of a running dump, in bytes of guest memory. */
export interface DumpProgress {
  readonly completed: number;
  readonly total: number;
}

/** Options of {@link VmBackend.dump}. */
export interface BackendDumpOptions {
  readonly onProgress?: ((progress: DumpProgress) => void) | undefined;
  /** Aborting ends the wait with INTERRUPTED once QEMU has stopped writing. */
  readonly signal?: AbortSignal | undefined;
  /** Called once when an abort has to wait for a dump that QEMU cannot cancel. */
  readonly onWaitAfterAbort?: (() => void) | undefined;
}

/** Operations of the host on a VM, implemented over virsh and over QMP. */
export interface VmBackend {
  /** Defines (libvirt) and starts the VM. */
  start(record: VmRecord, layout: VmLayout): Promise<void>;
  state(record: VmRecord, layout: VmLayout): Promise<VmRunState>;
  pause(record: VmRecord, layout: VmLayout): Promise<void>;
  resume(record: VmRecord, layout: VmLayout): Promise<void>;
  /** Powers the VM off at once and removes its definition; missing VMs are not an error. */
  destroy(record: VmRecord, layout: VmLayout): Promise<void>;
  /** Formats this QEMU binary can write (`query-dump-guest-memory-capability`). */
  dumpFormats(record: VmRecord, layout: VmLayout): Promise<DumpFormat[]>;
  /** Writes a memory-only dump of guest-physical memory to `file`; the guest pauses meanwhile. */
  dump(
    record: VmRecord,
    layout: VmLayout,
    file: string,
    format: DumpFormat,
    options?: BackendDumpOptions,
  ): Promise<void>;
  /** Saves `size` bytes of guest-physical memory from `address` to `file` (QMP pmemsave). */
  savePhysicalMemory(
    record: VmRecord,
    layout: VmLayout,
    address: bigint,
    size: number,
    file: string,
  ): Promise<void>;
  /** Accelerator and TDX settings of the running VM, read from the hypervisor. */
  liveMachine(record: VmRecord, layout: VmLayout): Promise<LiveMachine>;
  /** The guest's vsock CID, when the VM has a vsock device. */
  vsockCid(record: VmRecord, layout: VmLayout): Promise<number | undefined>;
}
