import { qemuNetworkArgs } from './domain-xml.js';
import type { LibvirtDialect, MachineSpec, QuoteGenerationService } from './spec.js';

/** Files the QEMU process of the `--qemu` backend uses to talk to mariadb-tdx. */
export interface QemuControlFiles {
  readonly qmpSocket: string;
  readonly pidFile: string;
}

const TDX_OBJECT_ID = 'tdx0';

/**
 * Builds the QEMU command line of the `--qemu` backend: the same machine as the libvirt domain,
 * daemonized, with a QMP socket, the console on the first serial port and no display.
 *
 * For a TD the `canonical` dialect follows Canonical's QEMU (vsock quote generation service and
 * an explicit RAM backend). `upstream` follows QEMU 10.1, where private memory is always
 * guest_memfd.
 */
export function buildQemuArgs(
  spec: MachineSpec,
  control: QemuControlFiles,
  dialect: LibvirtDialect,
): string[] {
  const args = [
    '-name',
    `${spec.name},process=${spec.name}`,
    '-nodefaults',
    '-no-user-config',
    ...machineArgs(spec, dialect),
    '-m',
    `${spec.memoryMiB}M`,
    '-smp',
    `${spec.cpus},sockets=1,cores=${spec.cpus},threads=1`,
    ...firmwareArgs(spec),
    ...diskArgs(spec),
    ...qemuNetworkArgs(spec),
    '-device',
    'virtio-rng-pci',
    '-chardev',
    `file,id=console0,path=${spec.consoleLog}`,
    '-serial',
    'chardev:console0',
    '-display',
    'none',
    '-vga',
    'none',
    '-monitor',
    'none',
    '-qmp',
    `unix:${control.qmpSocket},server=on,wait=off`,
    '-pidfile',
    control.pidFile,
    '-daemonize',
  ];
  if (spec.vsock && spec.vsockCid !== undefined) {
    args.push('-device', `vhost-vsock-pci,guest-cid=${spec.vsockCid}`);
  }
  // A TD cannot be reset, so a reboot request ends the VM; a regular VM does the same so that
  // both behave alike under `vm rm`.
  args.push('-no-reboot');
  return args;
}

function machineArgs(spec: MachineSpec, dialect: LibvirtDialect): string[] {
  if (!spec.td) {
    return [
      '-machine',
      'q35',
      '-accel',
      spec.accel === 'kvm' ? 'kvm' : 'tcg,thread=multi',
      '-cpu',
      spec.accel === 'kvm' ? 'host' : 'max',
    ];
  }

  const tdxObject: Record<string, unknown> = { 'qom-type': 'tdx-guest', id: TDX_OBJECT_ID };
  // NOTE: Canonical's QEMU is not known to accept `attributes`; its default is the production
  // policy (debug off, SEPT_VE_DISABLE on), the only policy mariadb-tdx launches.
  if (dialect === 'upstream') tdxObject.attributes = Number(spec.td.policy);
  tdxObject['quote-generation-socket'] = socketAddress(spec.td.quoteGenerationService);
  const args = ['-accel', 'kvm', '-cpu', 'host', '-object', JSON.stringify(tdxObject)];
  let machine = `q35,kernel-irqchip=split,confidential-guest-support=${TDX_OBJECT_ID},hpet=off`;
  if (dialect === 'canonical') {
    args.push('-object', `memory-backend-ram,id=mem0,size=${spec.memoryMiB}M`);
    machine += ',memory-backend=mem0';
  }
  return [...args, '-machine', machine];
}

function socketAddress(service: QuoteGenerationService): Record<string, string> {
  // QEMU's SocketAddress takes the vsock cid and port as strings.
  return service.type === 'unix'
    ? { type: 'unix', path: service.path }
    : { type: 'vsock', cid: String(service.cid), port: String(service.port) };
}

function firmwareArgs(spec: MachineSpec): string[] {
  const args: string[] = [];
  const firmware = spec.td?.firmware ?? spec.firmware;
  if (firmware) args.push('-bios', firmware);
  if (spec.directBoot) {
    args.push('-kernel', spec.directBoot.kernel);
    if (spec.directBoot.initrd) args.push('-initrd', spec.directBoot.initrd);
    args.push('-append', spec.directBoot.cmdline);
  }
  return args;
}

function diskArgs(spec: MachineSpec): string[] {
  const args = [
    '-drive',
    `file=${spec.overlay},format=qcow2,if=virtio,cache=writeback,discard=unmap`,
  ];
  if (spec.seedIso) {
    args.push('-drive', `file=${spec.seedIso},format=raw,if=virtio,readonly=on`);
  }
  return args;
}
