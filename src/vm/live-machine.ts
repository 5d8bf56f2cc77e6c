import { XMLParser } from 'fast-xml-parser';
import { formatTdPolicy, parseTdPolicy } from './td-policy.js';

// libvirt calls a KVM guest type 'kvm' and a software-emulated one type 'qemu'.
const ACCELERATORS: Record<string, 'kvm' | 'tcg' | undefined> = { kvm: 'kvm', qemu: 'tcg' };

/** Accelerator and TDX settings of a running VM, read from the hypervisor rather than vm.json. */
export interface LiveMachine {
  /** kvm, tcg (software emulation), or undefined when the source does not show it. */
  readonly accel: 'kvm' | 'tcg' | undefined;
  /** True when the VM was started with TDX (a tdx-guest object, or launchSecurity tdx). */
  readonly tdx: boolean;
  /** The TD attributes the VM was started with; undefined when not set explicitly. */
  readonly tdPolicy: string | undefined;
}

/**
 * Reads accelerator and TDX settings from a QEMU command line, as /proc/PID/cmdline lists it.
 * The tdx-guest object may be JSON (`{"qom-type":"tdx-guest","attributes":…}`) or key=value.
 */
export function parseQemuCommandLine(args: readonly string[]): LiveMachine {
  let accel: LiveMachine['accel'];
  let tdx = false;
  let tdPolicy: string | undefined;
  for (let i = 0; i < args.length - 1; i++) {
    const option = args[i]!.replace(/^--/, '-');
    const value = args[i + 1]!;
    if (option === '-accel') accel = acceleratorOf(value.split(',')[0]) ?? accel;
    if (option === '-machine' || option === '-M') {
      const match = /(?:^|,)accel=([a-z]+)/.exec(value);
      if (match) accel = acceleratorOf(match[1]) ?? accel;
    }
    if (option === '-enable-kvm') accel = 'kvm';
    if (option !== '-object') continue;

    const object = parseObject(value);
    if (object['qom-type'] !== 'tdx-guest') continue;
    tdx = true;
    const attributes = object.attributes;
    if (attributes !== undefined) tdPolicy = normalizePolicy(String(attributes));
  }
  if (args.at(-1) === '-enable-kvm') accel = 'kvm';
  return { accel, tdx, tdPolicy };
}

/** Reads accelerator and TDX settings from the XML of a running libvirt domain. */
export function parseDomainXml(xml: string): LiveMachine {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
  const parsed = parser.parse(xml) as {
    domain?: {
      '@_type'?: string;
      launchSecurity?: { '@_type'?: string; policy?: string | number };
    };
  };
  const domain = parsed.domain;
  const security = domain?.launchSecurity;
  const tdx = security?.['@_type'] === 'tdx';
  return {
    accel: ACCELERATORS[domain?.['@_type'] ?? ''],
    tdx,
    tdPolicy:
      tdx && security?.policy !== undefined ? normalizePolicy(String(security.policy)) : undefined,
  };
}

function acceleratorOf(name: string | undefined): LiveMachine['accel'] {
  if (name === 'kvm') return 'kvm';
  if (name === 'tcg') return 'tcg';
  return undefined;
}

function parseObject(value: string): Record<string, unknown> {
  if (value.startsWith('{')) {
    try {
      return JSON.parse(value) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  const [type, ...pairs] = value.split(',');
  const object: Record<string, unknown> = { 'qom-type': type };
  for (const pair of pairs) {
    const [key, ...rest] = pair.split('=');
    if (key) object[key] = rest.join('=');
  }
  return object;
}

/** Formats a policy as libvirt does, accepting decimal (QEMU) or hex with 0x (libvirt). */
function normalizePolicy(text: string): string | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return formatTdPolicy(BigInt(trimmed));
  const policy = /^0x/i.test(trimmed) ? parseTdPolicy(trimmed) : undefined;
  return policy === undefined ? undefined : formatTdPolicy(policy);
}
