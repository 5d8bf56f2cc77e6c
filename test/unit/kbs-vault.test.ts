import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest } from '../helpers/https.js';
import type { ReleasedKeys } from '../../src/kbs/agent/obtain.js';
import {
  generateVaultToken,
  startVaultEndpoint,
  type VaultEndpoint,
} from '../../src/kbs/agent/vault.js';

async function get(endpoint: VaultEndpoint, path: string, token?: string) {
  const reply = await httpsRequest(new URL(path, endpoint.url), {
    ca: endpoint.caCert,
    headers: token === undefined ? {} : { 'x-vault-token': token },
  });
  return { status: reply.status, body: JSON.parse(reply.text) as Record<string, unknown> };
}

describe('Vault KV v2 endpoint', () => {
  const token = generateVaultToken();
  const v1 = randomBytes(32);
  const v2 = randomBytes(32);
  const keys: ReleasedKeys = new Map([
    [
      1,
      [
        { version: 1, key: v1, kcv: '' },
        { version: 2, key: v2, kcv: '' },
      ],
    ],
  ]);
  let endpoint: VaultEndpoint;

  beforeAll(async () => {
    endpoint = await startVaultEndpoint({ keys, token });
  });
  afterAll(async () => {
    await endpoint?.close();
  });

  it('reports a KV version 2 mount', async () => {
    const reply = await get(endpoint, '/v1/sys/mounts/mariadb/tune', token);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ options: { version: '2' } });
  });

  it('serves the latest version by default', async () => {
    const reply = await get(endpoint, '/v1/mariadb/data/1', token);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      data: { data: { data: v2.toString('hex') }, metadata: { version: 2 } },
    });
  });

  it('serves an older version on request', async () => {
    const reply = await get(endpoint, '/v1/mariadb/data/1?version=1', token);
    expect(reply.body).toMatchObject({
      data: { data: { data: v1.toString('hex') }, metadata: { version: 1 } },
    });
  });

  it('answers 404 for an unknown key or version', async () => {
    expect((await get(endpoint, '/v1/mariadb/data/7', token)).status).toBe(404);
    expect((await get(endpoint, '/v1/mariadb/data/1?version=9', token)).status).toBe(404);
  });

  it('rejects a missing or wrong token without key bytes', async () => {
    for (const presented of [undefined, `${token}x`, '']) {
      const reply = await get(endpoint, '/v1/mariadb/data/1', presented);
      expect(reply.status).toBe(403);
      expect(JSON.stringify(reply.body)).not.toContain(v2.toString('hex'));
    }
  });

  it('serves new keys after an update', async () => {
    const v3 = randomBytes(32);
    endpoint.updateKeys(new Map([[1, [...keys.get(1)!, { version: 3, key: v3, kcv: '' }]]]));
    const reply = await get(endpoint, '/v1/mariadb/data/1', token);
    expect(reply.body).toMatchObject({ data: { metadata: { version: 3 } } });
  });
});
