import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderSeedFiles, type SeedOptions } from '../../src/vm/seed.js';
import { validateVmName, vmLayout } from '../../src/vm/layout.js';
import { VmError } from '../../src/vm/errors.js';

// Parsed YAML is navigated by key, which a static type cannot follow.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = Record<string, any>;

const options: SeedOptions = {
  hostname: 'regular-1',
  instanceId: 'mariadb-tdx-regular-1-abc',
  mac: '52:54:00:aa:bb:cc',
  sshAuthorizedKeys: ['ssh-ed25519 AAAAC3Nza test@host'],
  remoteAdmin: { user: 'admin', host: '10.0.2.2', passwordHash: `*${'A'.repeat(40)}` },
  mariadbPort: 3306,
  dataset: { rows: 200, seed: 7 },
  bundle: '/cache/bundle.tar.gz',
};

describe('renderSeedFiles', () => {
  const files = renderSeedFiles(options);
  const userData = parse(files.userData) as Yaml;

  it('starts user-data with the cloud-config header', () => {
    expect(files.userData.startsWith('#cloud-config\n')).toBe(true);
  });

  it('passes only the password hash, in a root-only file', () => {
    const hash = userData.write_files.find((f: { path: string }) => f.path.endsWith('admin.hash'));
    expect(hash.permissions).toBe('0600');
    expect(hash.content.trim()).toBe(options.remoteAdmin.passwordHash);
  });

  it('runs provision with the remote account and the data set', () => {
    const script = userData.write_files.find((f: { path: string }) =>
      f.path.endsWith('provision.sh'),
    ).content as string;
    expect(script).toContain("--remote-admin 'admin@10.0.2.2'");
    expect(script).toContain('--dataset banking --rows 200 --seed 7');
    expect(script).toContain('--bind-address 0.0.0.0');
    expect(script).toContain('tar -xzf');
    expect(userData.runcmd).toEqual([['/bin/sh', '/var/lib/mariadb-tdx-seed/provision.sh']]);
  });

  it('authorizes the SSH keys', () => {
    expect(userData.ssh_authorized_keys).toEqual(options.sshAuthorizedKeys);
  });

  it('configures DHCP on the card with the VM MAC address', () => {
    const network = parse(files.networkConfig) as Yaml;
    expect(network.ethernets.usernet.match.macaddress).toBe('52:54:00:aa:bb:cc');
    expect(network.ethernets.usernet.dhcp4).toBe(true);
  });

  it('passes the key broker to provision', () => {
    const keyBroker = {
      url: "https://10.0.2.2:8443/it's",
      caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      keyset: 'orders',
      delivery: 'keyfile' as const,
    };
    const withBroker = parse(renderSeedFiles({ ...options, keyBroker }).userData) as Yaml;
    const ca = withBroker.write_files.find((f: { path: string }) => f.path.endsWith('kbs-ca.pem'));
    expect(ca.path).toBe('/etc/mariadb-tdx/kbs-ca.pem');
    expect(ca.content).toBe(keyBroker.caPem);
    const script = withBroker.write_files.find((f: { path: string }) =>
      f.path.endsWith('provision.sh'),
    ).content as string;
    expect(script).toContain(
      "--kbs 'https://10.0.2.2:8443/it'\\''s' --kbs-ca /etc/mariadb-tdx/kbs-ca.pem",
    );
    expect(script).toContain("--keyset 'orders' --key-delivery keyfile --evidence tdx");
    expect(files.userData).not.toContain('--kbs');
  });

  it('looks up an installed mariadb-tdx when no bundle is attached', () => {
    const plain = parse(renderSeedFiles({ ...options, bundle: undefined }).userData) as Yaml;
    const script = plain.write_files[1].content as string;
    expect(script).toContain('command -v mariadb-tdx');
    expect(script).not.toContain('tar -xzf');
  });
});

describe('VM names', () => {
  it.each(['td-1', 'regular_2', 'A.b-c'])('accepts %s', (name) => {
    expect(validateVmName(name)).toBe(name);
  });

  it.each(['', '-x', '../etc', 'a/b', 'a b', 'x'.repeat(49)])(
    'rejects %j with INVALID_NAME',
    (name) => {
      expect(() => validateVmName(name)).toThrow(VmError);
      try {
        validateVmName(name);
      } catch (error) {
        expect((error as VmError).code).toBe('INVALID_NAME');
      }
    },
  );

  it('moves a QMP socket with a long path to /tmp', () => {
    const layout = vmLayout(`/tmp/${'d'.repeat(100)}`, 'td-1');
    expect(layout.qmpSocket).toMatch(/^\/tmp\/mariadb-tdx-[0-9a-f]{12}\.qmp$/);
  });
});
