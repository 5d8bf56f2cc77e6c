/** A Trust Domain or a regular VM with the same virtual hardware, as the control. */
export type VmKind = 'td' | 'regular';

/**
 * The two libvirt XML dialects users meet: `upstream` for libvirt 11.6 or later, `canonical` for
 * the libvirt of Canonical's TDX stack on Ubuntu 24.04 / 25.04 (vsock quote generation service,
 * `allowReboot`, private anonymous memory backing).
 */
export type LibvirtDialect = 'upstream' | 'canonical';

export const LIBVIRT_DIALECTS: readonly LibvirtDialect[] = ['upstream', 'canonical'];

/** KVM for TDs and fast regular VMs; TCG (software emulation) where KVM is unusable. */
export type Accelerator = 'kvm' | 'tcg';

/** A host port on 127.0.0.1 forwarded by QEMU user-mode networking to a guest TCP port. */
export interface PortForward {
  readonly service: 'ssh' | 'mariadb';
  readonly hostPort: number;
  readonly guestPort: number;
}

/** Where QEMU reaches the quote generation service that turns TD reports into quotes. */
export type QuoteGenerationService =
  | { readonly type: 'unix'; readonly path: string }
  | { readonly type: 'vsock'; readonly cid: number; readonly port: number };

/** Settings that only a Trust Domain has. */
export interface TdSettings {
  /** TD attributes requested at launch (libvirt `<policy>`); bit 0 is off-TD debug. */
  readonly policy: bigint;
  /** TDVF firmware image, loaded as a read-only ROM. */
  readonly firmware: string;
  readonly quoteGenerationService: QuoteGenerationService;
}

/** Direct kernel boot, for images without a boot loader. */
export interface DirectBoot {
  readonly kernel: string;
  readonly initrd?: string | undefined;
  readonly cmdline: string;
}

/** Everything the libvirt XML and QEMU command-line generators need to describe one VM. */
export interface MachineSpec {
  /** libvirt domain name, also QEMU's `-name`. */
  readonly name: string;
  readonly kind: VmKind;
  readonly accel: Accelerator;
  readonly memoryMiB: number;
  readonly cpus: number;
  /** qcow2 overlay that the VM writes; the base image stays unchanged. */
  readonly overlay: string;
  readonly baseImage: string;
  /** cloud-init NoCloud seed (ISO 9660, volume id `cidata`), attached read-only. */
  readonly seedIso?: string | undefined;
  /** File that receives the first serial port (the guest console). */
  readonly consoleLog: string;
  /** MAC address of the user-mode network card. */
  readonly mac: string;
  readonly forwards: readonly PortForward[];
  /** When false, user-mode networking isolates the guest: only the port forwards work. */
  readonly egress: boolean;
  /** Attaches a virtio vsock device (needs /dev/vhost-vsock on the host). */
  readonly vsock: boolean;
  /** Guest CID for the QEMU backend; libvirt picks one itself. */
  readonly vsockCid?: number | undefined;
  /** Firmware of a regular VM; unset uses the hypervisor's default BIOS. */
  readonly firmware?: string | undefined;
  readonly directBoot?: DirectBoot | undefined;
  readonly td?: TdSettings | undefined;
}

/** Address of the host in the guest under QEMU user-mode networking. */
export const USER_NET_HOST_ADDRESS = '10.0.2.2';

/** Builds the `-netdev user` option string: host-loopback forwards only, egress optional. */
export function userNetdevOptions(spec: MachineSpec, id: string): string {
  const parts = [`user`, `id=${id}`];
  for (const forward of spec.forwards) {
    parts.push(`hostfwd=tcp:127.0.0.1:${forward.hostPort}-:${forward.guestPort}`);
  }
  if (!spec.egress) parts.push('restrict=on');
  return parts.join(',');
}
