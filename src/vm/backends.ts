import type { VmBackend } from './backend.js';
import { LibvirtBackend } from './libvirt-backend.js';
import { QemuBackend } from './qemu-backend.js';
import type { VmRecord } from './registry.js';

/** Returns the backend that runs a VM, from its record. */
export function backendFor(record: VmRecord): VmBackend {
  return record.backend === 'qemu' ? new QemuBackend() : new LibvirtBackend(record.connect);
}
