import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { renderDomainXml } from '../../src/vm/domain-xml.js';
import { regularSpec, tdSpec } from '../helpers/vm-spec.js';

// Parsed XML is navigated by element and attribute names, which a static type cannot follow.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = Record<string, any>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseAttributeValue: false,
  parseTagValue: false,
});

function parse(xml: string): Node {
  return (parser.parse(xml) as { domain: Node }).domain;
}

function qemuArgs(domain: Node): string[] {
  const args = domain['qemu:commandline']['qemu:arg'] as { '@_value': string }[];
  return args.map((arg) => arg['@_value']);
}

describe('renderDomainXml', () => {
  describe('for a TD in the upstream dialect', () => {
    const domain = parse(renderDomainXml(tdSpec(), 'upstream'));

    it('requests TDX launch security with the production policy', () => {
      expect(domain.launchSecurity['@_type']).toBe('tdx');
      expect(domain.launchSecurity.policy).toBe('0x10000000');
    });

    it('names the quote generation service socket', () => {
      expect(domain.launchSecurity.quoteGenerationService['@_path']).toBe(
        '/var/run/tdx-qgs/qgs.socket',
      );
    });

    it('loads TDVF as a read-only ROM', () => {
      expect(domain.os.loader['@_type']).toBe('rom');
      expect(domain.os.loader['@_readonly']).toBe('yes');
      expect(domain.os.loader['#text']).toBe('/usr/share/ovmf/OVMF.tdx.fd');
    });

    it('uses the split irqchip and destroys on reboot', () => {
      expect(domain.features.ioapic['@_driver']).toBe('qemu');
      expect(domain.on_reboot).toBe('destroy');
      expect(domain.allowReboot).toBeUndefined();
    });

    it('forwards only host-loopback ports to SSH and MariaDB', () => {
      const netdev = qemuArgs(domain)[1]!;
      expect(netdev).toContain('hostfwd=tcp:127.0.0.1:40022-:22');
      expect(netdev).toContain('hostfwd=tcp:127.0.0.1:43306-:3306');
      expect(netdev).not.toMatch(/hostfwd=tcp::/);
    });
  });

  describe('for a TD in the canonical dialect', () => {
    const domain = parse(
      renderDomainXml(
        tdSpec({
          td: { ...tdSpec().td!, quoteGenerationService: { type: 'vsock', cid: 2, port: 4050 } },
        }),
        'canonical',
      ),
    );

    it('reaches the quote generation service over vsock', () => {
      const address = domain.launchSecurity.quoteGenerationService.SocketAddress;
      expect(address['@_type']).toBe('vsock');
      expect(address['@_cid']).toBe('2');
      expect(address['@_port']).toBe('4050');
    });

    it('forbids reboot and backs memory privately', () => {
      expect(domain.allowReboot['@_value']).toBe('no');
      expect(domain.memoryBacking.access['@_mode']).toBe('private');
    });
  });

  describe('for a regular VM', () => {
    const regular = parse(renderDomainXml(regularSpec(), 'upstream'));
    const td = parse(renderDomainXml(tdSpec(), 'upstream'));

    it('has no launch security', () => {
      expect(regular.launchSecurity).toBeUndefined();
    });

    it('has the same devices as the TD', () => {
      expect(regular.devices).toEqual(td.devices);
      expect(regular.cpu).toEqual(td.cpu);
      expect(regular.memory).toEqual(td.memory);
    });

    it('becomes a TCG domain under software emulation', () => {
      const tcg = parse(renderDomainXml(regularSpec({ accel: 'tcg' }), 'upstream'));
      expect(tcg['@_type']).toBe('qemu');
      expect(tcg.cpu['@_mode']).toBe('maximum');
    });
  });

  it('isolates the guest with restrict=on when egress is off', () => {
    const domain = parse(renderDomainXml(regularSpec({ egress: false }), 'upstream'));
    expect(qemuArgs(domain)[1]).toMatch(/,restrict=on$/);
  });

  it('escapes paths with XML special characters', () => {
    const xml = renderDomainXml(regularSpec({ baseImage: "/images/a&b's.qcow2" }), 'upstream');
    expect(xml).toContain('a&amp;b&apos;s.qcow2');
    expect(parse(xml).devices.disk[0].backingStore.source['@_file']).toBe("/images/a&b's.qcow2");
  });

  it('attaches the seed read-only and vsock with an automatic CID', () => {
    const domain = parse(renderDomainXml(regularSpec(), 'upstream'));
    expect(domain.devices.disk[1].readonly).toBe('');
    expect(domain.devices.vsock.cid['@_auto']).toBe('yes');
  });

  it('rejects a vsock quote service in the upstream dialect', () => {
    const spec = tdSpec({
      td: { ...tdSpec().td!, quoteGenerationService: { type: 'vsock', cid: 2, port: 4050 } },
    });
    expect(() => renderDomainXml(spec, 'upstream')).toThrow(ConfigError);
    try {
      renderDomainXml(spec, 'upstream');
    } catch (error) {
      expect((error as ConfigError).code).toBe('INVALID_OPTION');
    }
  });
});
