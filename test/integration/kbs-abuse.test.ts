import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedEvidence } from '../../src/attest/evidence/simulated/provider.js';
import type { EvidenceProvider } from '../../src/attest/evidence/types.js';
import { obtainKeys } from '../../src/kbs/agent/obtain.js';
import { serveVault } from '../../src/kbs/agent/run.js';
import { initBroker } from '../../src/kbs/broker/init.js';
import { createQuoteAppraiser } from '../../src/kbs/broker/quote-appraiser.js';
import { startBroker } from '../../src/kbs/broker/serve.js';
import { BrokerError } from '../../src/kbs/errors.js';
import { generateTeeKeyPair } from '../../src/kbs/jwe.js';
import { openKeyStore } from '../../src/kbs/store/admin.js';
import { ConfigError } from '../../src/errors.js';
import { expectCodeAsync } from '../helpers/attest.js';
import { httpsRequest } from '../helpers/https.js';
import { startTestBroker, type TestBroker } from '../helpers/kbs.js';

let parent: string;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'kbs-abuse-'));
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

const AUTH_BODY = '{"version":"0.4.0","tee":"tdx"}';

function post(test: TestBroker, path: string, body: string, headers: Record<string, string> = {}) {
  return httpsRequest(new URL(path, test.broker.url), {
    method: 'POST',
    ca: test.caCert,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function auditLines(test: TestBroker) {
  const text = await readFile(join(test.dir, 'audit.log'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('broker under an auth flood', () => {
  let test: TestBroker;
  let evidence: EvidenceProvider;

  beforeAll(async () => {
    test = await startTestBroker(
      join(parent, 'flood'),
      { maxSessions: 40, maxPendingPerClient: 1000 },
      { burst: 100_000, perSecond: 100_000 },
    );
    evidence = await simulatedEvidence(test.sim.dir);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('keeps releasing keys to an agent', async () => {
    for (let round = 0; round < 10; round++) {
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => post(test, '/kbs/v0/auth', AUTH_BODY)),
      );
      expect(replies.every((reply) => reply.status === 200)).toBe(true);
    }
    const connection = { url: test.broker.url, caCert: test.caCert };
    const result = await obtainKeys({ connection, keyset: 'mariadb', evidence });
    expect(result.keys.size).toBe(2);
  });

  it('folds the challenges into one audit line and keeps every key decision', async () => {
    const before = await auditLines(test);
    expect(before.filter((line) => line.event === 'auth')).toHaveLength(1);
    expect(before.filter((line) => line.decision === 'released')).toHaveLength(2);

    await test.close();
    const summary = (await auditLines(test)).filter((line) => line.repeated !== undefined);
    expect(summary).toHaveLength(1);
    // 200 flood requests and the agent's own, less the first, which has its own line.
    expect(summary[0]).toMatchObject({ event: 'auth', repeated: 200 });
  });
});

describe('broker limits', () => {
  let test: TestBroker;

  beforeAll(async () => {
    test = await startTestBroker(join(parent, 'limits'), {}, { burst: 3, perSecond: 0.5 });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('answers 429 with Retry-After to a client that opens sessions too fast', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await post(test, '/kbs/v0/auth', AUTH_BODY));
    expect(statuses.slice(0, 3).map((reply) => reply.status)).toEqual([200, 200, 200]);
    const limited = statuses[3]!;
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.text).code).toBe('TOO_MANY_REQUESTS');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});

describe('broker checks of the TD public key', () => {
  let test: TestBroker;

  beforeAll(async () => {
    test = await startTestBroker(join(parent, 'keys'), {}, { burst: 100, perSecond: 100 });
  });
  afterAll(async () => {
    await test?.close();
  });

  const attestWith = async (teePubkey: Record<string, unknown>) => {
    const auth = await post(test, '/kbs/v0/auth', AUTH_BODY);
    const cookie = auth.setCookie[0]!.split(';')[0]!;
    const { nonce } = JSON.parse(auth.text) as { nonce: string };
    const body = JSON.stringify({
      'runtime-data': { nonce, 'tee-pubkey': teePubkey },
      'tee-evidence': { primary_evidence: { quote: 'AAAA' }, additional_evidence: '' },
    });
    return post(test, '/kbs/v0/attest', body, { cookie });
  };

  it('refuses an EC point that is not on the curve', async () => {
    const { publicJwk } = await generateTeeKeyPair();
    const reply = await attestWith({ ...publicJwk, y: publicJwk.x });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).code).toBe('MALFORMED_REQUEST');
  });

  it('refuses a key that carries its private member', async () => {
    const { publicJwk } = await generateTeeKeyPair();
    const reply = await attestWith({ ...publicJwk, d: 'A'.repeat(43) });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).code).toBe('MALFORMED_REQUEST');
    expect(await readFile(test.logFile, 'utf8')).not.toContain('A'.repeat(43));
  });

  it('logs no internal error for either', async () => {
    expect(await readFile(test.logFile, 'utf8')).not.toContain('internal error');
  });
});

describe('broker directory permissions', () => {
  let dir: string;
  const start = async () =>
    startBroker({
      dir,
      listen: '127.0.0.1:0',
      appraiser: await createQuoteAppraiser({
        policyPath: join(dir, 'policy.json'),
        collateralPaths: [sim.collateral],
        simulatedRoot: await readFile(sim.rootCa, 'utf8'),
      }),
    });
  let sim: { collateral: string; rootCa: string; policy: string };

  beforeAll(async () => {
    const { createSimulatedTd } = await import('../../src/attest/evidence/simulated/td.js');
    sim = await createSimulatedTd(join(parent, 'perm-sim'));
    dir = join(parent, 'perm-broker');
    await initBroker({ dir, policyPath: sim.policy, keyset: 'mariadb' });
  });

  it.each([
    ['a readable master key', 'master.key', 0o644, 0o600],
    ['a readable broker directory', '.', 0o755, 0o700],
    ['a readable TLS private key', 'tls/server-key.pem', 0o640, 0o600],
    ['a readable key record', 'keys/mariadb/1/1.json', 0o644, 0o600],
  ])('refuses %s', async (_name, path, unsafe, safe) => {
    await chmod(join(dir, path), unsafe);
    try {
      const error = await expectCodeAsync(start, ConfigError, 'UNSAFE_PERMISSIONS');
      expect(error.message).toContain(join(dir, path).replace(/\/\.$/, ''));
      expect((error as ConfigError).hint).toContain('chmod');
    } finally {
      await chmod(join(dir, path), safe);
    }
  });

  it('starts once every secret is private', async () => {
    const broker = await start();
    await broker.close();
  });
});

describe('kbs init listen addresses', () => {
  it('requires certificate names for a wildcard address', async () => {
    await expectCodeAsync(
      () => initBroker({ dir: join(parent, 'wild'), listen: '0.0.0.0:18444' }),
      BrokerError,
      'BROKER_DIR_INVALID',
    );
    expect(existsSync(join(parent, 'wild'))).toBe(false);
  });

  it('warns that a wildcard address listens beyond loopback', async () => {
    const result = await initBroker({
      dir: join(parent, 'wild-named'),
      listen: '0.0.0.0:18444',
      serverNames: ['kbs.example'],
    });
    expect(result.serverNames).toEqual(['kbs.example']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('every network interface');
  });

  it('names the port range of an out-of-range port', async () => {
    const error = await expectCodeAsync(
      () => initBroker({ dir: join(parent, 'port'), listen: '127.0.0.1:99999' }),
      BrokerError,
      'BROKER_DIR_INVALID',
    );
    expect(error.message).toContain('out of range');
  });
});

describe('Vault endpoint of the agent', () => {
  let test: TestBroker;
  const ramDir = join('/dev/shm', `kbs-abuse-${process.pid}`);

  beforeAll(async () => {
    test = await startTestBroker(join(parent, 'vault'));
  });
  afterAll(async () => {
    await test?.close();
    await rm(ramDir, { recursive: true, force: true });
  });

  it('reports the versions a refresh added and removes its files when closed', async () => {
    const agent = await serveVault({
      connection: { url: test.broker.url, caCert: test.caCert },
      keyset: 'mariadb',
      evidence: await simulatedEvidence(test.sim.dir),
      ramDir,
      port: 0,
    });
    try {
      expect(new URL(agent.url).port).not.toBe('8200');
      expect(agent.tokenFile).toBeDefined();
      expect(await refreshAfterRotation(test, agent.refresh)).toEqual([{ id: 2, version: 2 }]);
    } finally {
      await agent.close();
    }
    expect(existsSync(agent.caFile)).toBe(false);
    expect(existsSync(agent.tokenFile!)).toBe(false);
    // The agent created the RAM directory, so it removes it too.
    expect(existsSync(ramDir)).toBe(false);
  });
});

async function refreshAfterRotation(
  test: TestBroker,
  refresh: () => Promise<{ newVersions: unknown }>,
) {
  await (await openKeyStore(test.dir)).rotate('mariadb', 2);
  return (await refresh()).newVersions;
}
