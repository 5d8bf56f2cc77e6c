import { describe, expect, it } from 'vitest';
import { maintainedVersion } from '../../src/posture/catalogue/hardening.js';
import { keyFilePermissions, memoryLocking } from '../../src/posture/catalogue/keys.js';
import { tmpdirPlacement } from '../../src/posture/catalogue/logs.js';
import { encryptionFinished } from '../../src/posture/catalogue/tablespaces.js';
import {
  certificateValidity,
  cipherSuites,
  isStrongTls12Suite,
  parseOpensslTime,
  remoteAccountsWithoutTls,
} from '../../src/posture/catalogue/transport.js';
import { replicationTls } from '../../src/posture/catalogue/replication.js';
import { passwordlessAccounts } from '../../src/posture/catalogue/accounts.js';
import {
  longestMountPrefix,
  parseMountInfo,
  parseSwaps,
  type HostProbe,
  type MountInfo,
  type SwapArea,
} from '../../src/posture/host.js';
import type { CheckContext, PostureCheck, Row } from '../../src/posture/types.js';
import { parseServerVersion, seriesStatus } from '../../src/posture/version.js';

const NOW = new Date('2026-12-04T12:00:00Z');

function context(host?: HostProbe, version = '10.11.19-MariaDB-log'): CheckContext {
  return { version: parseServerVersion(version), now: NOW, host };
}

/** Builds a host probe whose files, mounts and swap come from the test. */
function hostWith(facts: {
  modes?: Record<string, number>;
  mounts?: Record<string, MountInfo>;
  encrypted?: string[];
  swaps?: SwapArea[];
}): HostProbe {
  return {
    fileMode: async (path) => facts.modes?.[path],
    mountOf: async (path) => facts.mounts?.[path],
    isOnEncryptedDevice: async (path) => facts.encrypted?.includes(path) ?? false,
    swapAreas: async () => facts.swaps ?? [],
  };
}

const variable = (name: string, value: string): Row => ({ Variable_name: name, Value: value });

describe('parseServerVersion', () => {
  it('splits a Debian MariaDB version', () => {
    expect(parseServerVersion('10.11.19-MariaDB-0+deb12u1-log')).toMatchObject({
      major: 10,
      minor: 11,
      patch: 19,
    });
  });

  it('rejects MySQL', () => {
    expect(() => parseServerVersion('8.0.36')).toThrow(
      expect.objectContaining({ code: 'NOT_MARIADB' }),
    );
  });

  it('rejects series before 10.4', () => {
    expect(() => parseServerVersion('10.3.39-MariaDB')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }),
    );
  });
});

describe('seriesStatus', () => {
  it('knows a maintained long-term series', () => {
    expect(seriesStatus(parseServerVersion('10.11.19-MariaDB'), NOW)).toEqual({
      kind: 'maintained',
      endOfLife: '2028-02-16',
    });
  });

  it('reports a long-term series after its end of life', () => {
    expect(seriesStatus(parseServerVersion('10.6.21-MariaDB'), NOW)).toEqual({
      kind: 'ended',
      endOfLife: '2026-07-06',
    });
    expect(
      seriesStatus(parseServerVersion('10.11.19-MariaDB'), new Date('2028-03-01')),
    ).toMatchObject({ kind: 'ended' });
  });

  it('treats short-term series between long-term ones as ended', () => {
    expect(seriesStatus(parseServerVersion('11.2.6-MariaDB'), NOW)).toEqual({ kind: 'ended' });
  });

  it('does not judge series newer than it knows', () => {
    expect(seriesStatus(parseServerVersion('12.1.2-MariaDB'), NOW)).toEqual({ kind: 'unknown' });
  });
});

describe('H01 maintained version', () => {
  const judge = (version: string) =>
    maintainedVersion.evaluate([{ VERSION: version }], context(undefined, version));

  it('passes 10.11 and 11.4', async () => {
    expect(await judge('10.11.19-MariaDB-log')).toMatchObject({ status: 'pass' });
    expect(await judge('11.4.5-MariaDB')).toMatchObject({
      status: 'pass',
      observed: '11.4.5-MariaDB (11.4 maintained until 2029-05-29)',
    });
  });

  it('fails 10.6 after its end of life', async () => {
    expect(await judge('10.6.21-MariaDB')).toEqual({
      status: 'fail',
      observed: '10.6.21-MariaDB (10.6 maintenance ended 2026-07-06)',
    });
  });

  it('warns for a series newer than the table', async () => {
    expect(await judge('12.1.2-MariaDB')).toMatchObject({ status: 'warn' });
  });
});

describe('T05 cipher suites', () => {
  const rows = (list: string, versions = 'TLSv1.2,TLSv1.3'): Row[] => [
    { VARIABLE_NAME: 'SSL_CIPHER_LIST', VARIABLE_VALUE: list },
    { VARIABLE_NAME: 'TLS_VERSION', VARIABLE_VALUE: versions },
  ];

  it('accepts ECDHE and DHE suites with AEAD', () => {
    expect(isStrongTls12Suite('ECDHE-ECDSA-AES128-GCM-SHA256')).toBe(true);
    expect(isStrongTls12Suite('DHE-RSA-CHACHA20-POLY1305')).toBe(true);
  });

  it('rejects static RSA and CBC suites', () => {
    expect(isStrongTls12Suite('AES128-GCM-SHA256')).toBe(false);
    expect(isStrongTls12Suite('ECDHE-RSA-AES128-SHA')).toBe(false);
  });

  it('ignores TLSv1.3 suites and lists the weak TLSv1.2 ones', async () => {
    const verdict = await cipherSuites.evaluate(
      rows('TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:AES256-SHA'),
      context(),
    );
    expect(verdict).toEqual({ status: 'fail', observed: '1 weak suites offered: AES256-SHA' });
  });

  it('passes when only TLSv1.3 is enabled', async () => {
    const verdict = await cipherSuites.evaluate(
      rows('TLS_AES_256_GCM_SHA384:AES256-SHA', 'TLSv1.3'),
      context(),
    );
    expect(verdict).toEqual({ status: 'pass', observed: 'only TLSv1.3 is enabled' });
  });
});

describe('T06 certificate validity', () => {
  const rows = (notBefore: string, notAfter: string): Row[] => [
    variable('Ssl_cipher', 'TLS_AES_256_GCM_SHA384'),
    variable('Ssl_server_not_before', notBefore),
    variable('Ssl_server_not_after', notAfter),
  ];

  it('parses OpenSSL time with a padded day', () => {
    expect(parseOpensslTime('Mar  8 16:34:38 2029 GMT')?.toISOString()).toBe(
      '2029-03-08T16:34:38.000Z',
    );
    expect(parseOpensslTime('2029-03-08')).toBeUndefined();
  });

  it('passes, warns and fails by the days left', async () => {
    const start = 'Jan  1 00:00:00 2026 GMT';
    expect(
      await certificateValidity.evaluate(rows(start, 'Mar  8 16:34:38 2029 GMT'), context()),
    ).toMatchObject({
      status: 'pass',
    });
    expect(
      await certificateValidity.evaluate(rows(start, 'Dec 20 12:00:00 2026 GMT'), context()),
    ).toEqual({
      status: 'warn',
      observed: 'expires on 2026-12-20 (in 16 days)',
    });
    expect(
      await certificateValidity.evaluate(rows(start, 'Dec  1 12:00:00 2026 GMT'), context()),
    ).toEqual({
      status: 'fail',
      observed: 'expired on 2026-12-01',
    });
  });

  it('fails a certificate that is not valid yet', async () => {
    const verdict = await certificateValidity.evaluate(
      rows('Jan  1 00:00:00 2027 GMT', 'Jan  1 00:00:00 2029 GMT'),
      context(),
    );
    expect(verdict).toEqual({ status: 'fail', observed: 'not valid before 2027-01-01' });
  });
});

describe('E12 encryption finished', () => {
  it('warns while tablespaces are rotated or wait for a thread', async () => {
    const verdict = await encryptionFinished.evaluate(
      [
        {
          NAME: 'innodb_system',
          KEY_ROTATION_PAGE_NUMBER: 46,
          KEY_ROTATION_MAX_PAGE_NUMBER: 4864,
          THREADS: 4,
        },
        { NAME: 'db/t', KEY_ROTATION_PAGE_NUMBER: null, THREADS: 4 },
      ],
      context(),
    );
    expect(verdict).toEqual({
      status: 'warn',
      observed: 'in progress: innodb_system page 46 of 4864, db/t (waiting)',
    });
  });

  it('fails when no thread is left to finish', async () => {
    const verdict = await encryptionFinished.evaluate(
      [{ NAME: 'innodb_system', KEY_ROTATION_PAGE_NUMBER: 46, THREADS: 0 }],
      context(),
    );
    expect(verdict).toMatchObject({
      status: 'fail',
      observed: 'stalled with pages in clear: innodb_system',
    });
  });
});

describe('K05 memory and swap', () => {
  const unlocked = [variable('locked_in_memory', 'OFF')];

  it('passes locked memory without looking at swap', async () => {
    const verdict = await memoryLocking.evaluate([variable('locked_in_memory', 'ON')], context());
    expect(verdict).toEqual({ status: 'pass', observed: 'locked_in_memory=ON' });
  });

  it('passes a host without swap', async () => {
    expect(await memoryLocking.evaluate(unlocked, context(hostWith({})))).toMatchObject({
      status: 'pass',
    });
  });

  it('fails swap in clear and names it', async () => {
    const host = hostWith({
      swaps: [
        { path: '/swapfile', sizeKiB: 1024 },
        { path: '/dev/dm-1', sizeKiB: 2048 },
      ],
      encrypted: ['/dev/dm-1'],
    });
    expect(await memoryLocking.evaluate(unlocked, context(host))).toEqual({
      status: 'fail',
      observed: 'memory not locked; swap in clear: /swapfile',
    });
  });

  it('passes swap on dm-crypt only', async () => {
    const host = hostWith({
      swaps: [{ path: '/dev/dm-1', sizeKiB: 2048 }],
      encrypted: ['/dev/dm-1'],
    });
    expect(await memoryLocking.evaluate(unlocked, context(host))).toMatchObject({ status: 'pass' });
  });

  it('warns for a remote server, whose swap SQL cannot show', async () => {
    expect(await memoryLocking.evaluate(unlocked, context())).toMatchObject({ status: 'warn' });
  });
});

describe('L05 tmpdir placement', () => {
  const rows = (tmpdir: string) => [variable('tmpdir', tmpdir)];
  const disk: MountInfo = { mountPoint: '/', fsType: 'ext4', source: '/dev/vda', device: '254:0' };

  it('judges a remote server by well-known RAM directories', async () => {
    expect(await tmpdirPlacement.evaluate(rows('/dev/shm/mariadb'), context())).toMatchObject({
      status: 'pass',
    });
    expect(await tmpdirPlacement.evaluate(rows('/var/tmp'), context())).toMatchObject({
      status: 'warn',
    });
  });

  it('passes a directory on dm-crypt and fails every plain one in the list', async () => {
    const host = hostWith({
      mounts: { '/secure': { ...disk, mountPoint: '/secure' }, '/var/tmp': disk },
      encrypted: ['/secure'],
    });
    expect(await tmpdirPlacement.evaluate(rows('/secure'), context(host))).toMatchObject({
      status: 'pass',
    });
    expect(await tmpdirPlacement.evaluate(rows('/secure:/var/tmp'), context(host))).toEqual({
      status: 'fail',
      observed: '/secure on ext4, dm-crypt /dev/vda; /var/tmp on ext4 (/dev/vda), not encrypted',
    });
  });
});

describe('K02 key file permissions', () => {
  it('is not applicable to a remote server', async () => {
    const rows = [variable('file_key_management_filename', '/keys/keyfile')];
    expect(await keyFilePermissions.evaluate(rows, context())).toMatchObject({
      status: 'not_applicable',
    });
  });
});

describe('host probes', () => {
  it('parses mountinfo with escaped spaces', () => {
    const text =
      '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n' +
      '30 22 0:26 / /mnt/my\\040disk rw - tmpfs tmpfs rw,size=1024k\n';
    const mounts = parseMountInfo(text);
    expect(mounts).toEqual([
      { mountPoint: '/', device: '254:0', fsType: 'ext4', source: '/dev/vda' },
      { mountPoint: '/mnt/my disk', device: '0:26', fsType: 'tmpfs', source: 'tmpfs' },
    ]);
    expect(longestMountPrefix(mounts, '/mnt/my disk/tmp')?.fsType).toBe('tmpfs');
    expect(longestMountPrefix(mounts, '/mnt/my diskette')?.fsType).toBe('ext4');
  });

  it('parses /proc/swaps', () => {
    const text =
      'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' +
      '/swapfile                               file\t\t1048572\t\t0\t\t-2\n';
    expect(parseSwaps(text)).toEqual([{ path: '/swapfile', sizeKiB: 1048572 }]);
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n')).toEqual([]);
  });
});

describe('version-dependent SQL', () => {
  const sqlFor = (check: PostureCheck, version: string) =>
    typeof check.sql === 'function' ? check.sql(parseServerVersion(version)) : check.sql;

  it('asks 10.4 servers with the statements they know', () => {
    expect(sqlFor(replicationTls, '10.4.34-MariaDB')).toBe('SHOW ALL SLAVES STATUS');
    expect(sqlFor(remoteAccountsWithoutTls, '10.4.34-MariaDB')).not.toContain(
      '@@require_secure_transport',
    );
    expect(sqlFor(passwordlessAccounts, '10.5.27-MariaDB')).not.toContain('JSON_TABLE');
  });

  it('uses the newer forms from 10.6 on', () => {
    expect(sqlFor(replicationTls, '11.4.5-MariaDB')).toBe('SHOW ALL REPLICAS STATUS');
    expect(sqlFor(remoteAccountsWithoutTls, '10.11.19-MariaDB')).toContain(
      '@@require_secure_transport',
    );
    expect(sqlFor(passwordlessAccounts, '10.6.21-MariaDB')).toContain('JSON_TABLE');
  });
});
