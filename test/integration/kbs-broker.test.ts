import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedEvidence } from '../../src/attest/evidence/simulated/provider.js';
import type { EvidenceProvider } from '../../src/attest/evidence/types.js';
import { KbsClient } from '../../src/kbs/agent/client.js';
import { obtainKeys } from '../../src/kbs/agent/obtain.js';
import { AgentError } from '../../src/kbs/errors.js';
import { generateTeeKeyPair } from '../../src/kbs/jwe.js';
import { expectedReportData } from '../../src/kbs/runtime-data.js';
import { openKeyStore } from '../../src/kbs/store/admin.js';
import { httpsRequest, type HttpsReply } from '../helpers/https.js';
import { startTestBroker, type TestBroker } from '../helpers/kbs.js';

function send(
  test: TestBroker,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<HttpsReply> {
  return httpsRequest(new URL(path, test.broker.url), {
    method,
    ca: test.caCert,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function openSession(test: TestBroker) {
  const reply = await send(test, 'POST', '/kbs/v0/auth', '{"version":"0.4.0","tee":"tdx"}');
  const cookie = reply.setCookie[0]!.split(';')[0]!;
  return { cookie, nonce: (JSON.parse(reply.text) as { nonce: string }).nonce };
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AgentError);
  return error as AgentError;
}

describe('key broker on loopback', () => {
  let parent: string;
  let test: TestBroker;
  let evidence: EvidenceProvider;

  const connection = () => ({ url: test.broker.url, caCert: test.caCert });
  const released = async () =>
    (await readFile(join(test.dir, 'audit.log'), 'utf8'))
      .split('\n')
      .filter((line) => line.includes('"decision":"released"')).length;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'kbs-broker-'));
    test = await startTestBroker(parent);
    evidence = await simulatedEvidence(test.sim.dir);
  });
  afterAll(async () => {
    await test?.close();
    await rm(parent, { recursive: true, force: true });
  });

  it('releases every key version to an attested simulated TD', async () => {
    await (await openKeyStore(test.dir)).rotate('mariadb', 1);
    const result = await obtainKeys({ connection: connection(), keyset: 'mariadb', evidence });
    expect(result.keys.get(1)?.map((version) => version.version)).toEqual([1, 2]);
    expect(result.keys.get(2)?.map((version) => version.version)).toEqual([1]);
    expect(result.claims).toMatchObject({ tcbStatus: 'UpToDate', simulated: true });
  });

  it('serves every version after a restart', async () => {
    const store = await openKeyStore(test.dir);
    const before = (await store.readKey('mariadb', 1)).map((v) => v.key.toString('hex'));
    await test.restart();
    const result = await obtainKeys({ connection: connection(), keyset: 'mariadb', evidence });
    expect(result.keys.get(1)?.map((version) => version.key.toString('hex'))).toEqual(before);
  });

  describe('refuses without releasing anything', () => {
    let releasedBefore: number;
    beforeAll(async () => {
      releasedBefore = await released();
    });
    afterAll(async () => {
      expect(await released()).toBe(releasedBefore);
    });

    const attempt = (provider: EvidenceProvider) =>
      refusal(obtainKeys({ connection: connection(), keyset: 'mariadb', evidence: provider }));

    it('a debug TD', async () => {
      const debug = await simulatedEvidence(test.sim.dir, {
        tdAttributes: Buffer.from('0100001000000000', 'hex'),
      });
      const error = await attempt(debug);
      expect(error.reason).toBe('POLICY_REJECTED');
      expect(error.message).toContain('td-attributes.forbidden.DEBUG');
    });

    it('a wrong MRTD', async () => {
      const error = await attempt(await simulatedEvidence(test.sim.dir, { mrTd: randomBytes(48) }));
      expect(error.reason).toBe('POLICY_REJECTED');
      expect(error.message).toContain('mrtd');
    });

    it('an unsupported TCB', async () => {
      const low = await simulatedEvidence(test.sim.dir, {
        teeTcbSvn: Buffer.from('04010000000000000000000000000000', 'hex'),
      });
      const error = await attempt(low);
      expect(error.reason).toBe('QUOTE_INVALID');
      expect(error.message).toContain('TCB_NOT_SUPPORTED');
    });

    it('REPORTDATA that does not bind the presented key', async () => {
      const unbound: EvidenceProvider = {
        ...evidence,
        quote: () => evidence.quote(Buffer.alloc(64, 0x42)),
      };
      expect((await attempt(unbound)).reason).toBe('REPORT_DATA_MISMATCH');
    });

    it('a quote that chains to no trusted root', async () => {
      const otherParent = await mkdtemp(join(tmpdir(), 'kbs-other-'));
      const { createSimulatedTd } = await import('../../src/attest/evidence/simulated/td.js');
      const other = await createSimulatedTd(join(otherParent, 'sim'), { mrTd: undefined });
      const error = await attempt(await simulatedEvidence(other.dir));
      expect(error.reason).toBe('QUOTE_INVALID');
      await rm(otherParent, { recursive: true, force: true });
      // Simulated evidence stays marked in the audit log even when its root is not trusted.
      const rejectionLine = (await readFile(join(test.dir, 'audit.log'), 'utf8'))
        .split('\n')
        .filter((line) => line.includes('PCK_CHAIN_UNTRUSTED'))
        .at(-1);
      expect(JSON.parse(rejectionLine!)).toMatchObject({ simulated: true });
    });

    it('a reused nonce', async () => {
      const client = new KbsClient(connection());
      const pair = await generateTeeKeyPair();
      const { nonce } = await client.auth();
      const quote = await evidence.quote(expectedReportData({ nonce, teePubkey: pair.publicJwk }));
      const attestation = {
        'runtime-data': { nonce, 'tee-pubkey': pair.publicJwk },
        'tee-evidence': {
          primary_evidence: { quote: quote.toString('base64') },
          additional_evidence: '',
        },
      };
      await client.attest(attestation);
      const error = await refusal(client.attest(attestation));
      expect(error.reason).toBe('NONCE_REUSED');
    });

    it('an expired nonce', async () => {
      const shortParent = await mkdtemp(join(tmpdir(), 'kbs-short-'));
      const short = await startTestBroker(shortParent, { nonceTtlMs: 300 });
      try {
        const slow: EvidenceProvider = {
          ...evidence,
          quote: async (reportData) => {
            await sleep(450);
            return (await simulatedEvidence(short.sim.dir)).quote(reportData);
          },
        };
        const error = await refusal(
          obtainKeys({
            connection: { url: short.broker.url, caCert: short.caCert },
            keyset: 'mariadb',
            evidence: slow,
          }),
        );
        expect(error.reason).toBe('NONCE_EXPIRED');
      } finally {
        await short.close();
        await rm(shortParent, { recursive: true, force: true });
      }
    });

    it('malformed JSON', async () => {
      const { cookie } = await openSession(test);
      const reply = await send(test, 'POST', '/kbs/v0/attest', '{"runtime-data": ', { cookie });
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.text)).toMatchObject({ code: 'MALFORMED_REQUEST' });
    });

    it('JSON that is not an attestation', async () => {
      const { cookie } = await openSession(test);
      const reply = await send(test, 'POST', '/kbs/v0/attest', '{"runtime-data": 5}', { cookie });
      expect(JSON.parse(reply.text)).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST' });
    });

    it('oversized JSON', async () => {
      const { cookie } = await openSession(test);
      const body = JSON.stringify({ padding: 'x'.repeat(300 * 1024) });
      const reply = await send(test, 'POST', '/kbs/v0/attest', body, { cookie });
      expect(reply.status).toBe(413);
      expect(JSON.parse(reply.text)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });

    it('a resource request from a session that never attested', async () => {
      const { cookie } = await openSession(test);
      const reply = await send(test, 'GET', '/kbs/v0/resource/mariadb/key/1', undefined, {
        cookie,
      });
      expect(reply.status).toBe(401);
      expect(JSON.parse(reply.text)).toMatchObject({ code: 'NOT_ATTESTED' });
    });
  });

  it('keeps a canary in keys and tokens out of logs and errors', async () => {
    const canary = 'CANARY-5d2f8e1b9a7c4e3f';
    const key = Buffer.alloc(32);
    key.write(canary);
    await (await openKeyStore(test.dir)).importKey('canary', 1, key);
    const result = await obtainKeys({
      connection: connection(),
      keyset: 'canary',
      keyIds: [1],
      evidence,
    });
    expect(result.keys.get(1)?.[0]?.key.equals(key)).toBe(true);

    const replies = [
      await send(test, 'GET', '/kbs/v0/resource/canary/key/1', undefined, {
        authorization: `Bearer ${canary}`,
      }),
      await send(test, 'GET', '/kbs/v0/resource/canary/key/1', undefined, {
        cookie: `kbs-session-id=${canary}`,
      }),
      await send(test, 'POST', '/kbs/v0/attest', `{"${canary}": `, {
        cookie: `kbs-session-id=${canary}`,
      }),
    ];
    expect(replies.map((reply) => reply.status)).toEqual([401, 401, 401]);

    const logs = [
      await readFile(test.logFile, 'utf8'),
      await readFile(join(test.dir, 'audit.log'), 'utf8'),
      ...replies.map((reply) => reply.text),
    ].join('\n');
    for (const form of [canary, key.toString('hex'), key.toString('base64')]) {
      expect(logs).not.toContain(form);
    }
  });
});
