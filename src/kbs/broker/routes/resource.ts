import type { Context } from 'hono';
import { BrokerError } from '../../errors.js';
import { encryptToTee } from '../../jwe.js';
import {
  KEY_RESOURCE_TYPE,
  RESOURCE_SEGMENT,
  type KeyResource,
  type TeePublicKey,
} from '../../protocol.js';
import type { TdClaims } from '../appraisal.js';
import type { BrokerContext } from '../context.js';
import { clientAddress, markAudited } from '../http.js';
import { requireSession } from './attest.js';

interface Caller {
  readonly teePubkey: TeePublicKey;
  readonly claims: Record<string, unknown>;
  readonly session: string | undefined;
}

/**
 * `GET /kbs/v0/resource/<key set>/key/<id>`: every version of one key, as a JWE that only the
 * attested TD's ephemeral key can open.
 */
export async function handleResource(c: Context, broker: BrokerContext) {
  const audit = { event: 'resource' as const, client: clientAddress(c) };
  let caller: Caller | undefined;
  const keyset = c.req.param('repository') ?? '';

  try {
    caller = await authorize(c, broker);
    const id = parseKeyId(keyset, c.req.param('type') ?? '', c.req.param('tag') ?? '');
    const versions = await broker.store.readKey(keyset, id);

    // NOTE: any TD that passes the broker's single policy may fetch every key set. Per key set
    // policies are needed before one broker serves databases of different owners.
    const resource: KeyResource = {
      keyset,
      id,
      versions: versions.map((version) => ({
        version: version.version,
        key: version.key.toString('hex'),
        kcv: version.kcv,
        createdAt: version.createdAt,
      })),
    };
    const jwe = await encryptToTee(caller.teePubkey, Buffer.from(JSON.stringify(resource)));
    broker.audit({
      ...audit,
      session: caller.session,
      decision: 'released',
      td: caller.claims as unknown as TdClaims,
      keyset,
      keys: [{ id, versions: versions.map((version) => version.version) }],
    });
    return c.json(jwe);
  } catch (error) {
    if (error instanceof BrokerError) {
      broker.audit({
        ...audit,
        session: caller?.session,
        decision: 'refused',
        code: error.code,
        keyset: RESOURCE_SEGMENT.test(keyset) ? keyset : undefined,
      });
    }
    markAudited(error);
    throw error;
  }
}

/** Accepts an attested session cookie or a bearer token from `attest`. */
async function authorize(c: Context, broker: BrokerContext): Promise<Caller> {
  const authorization = c.req.header('authorization');
  if (authorization !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_.-]{1,8192})$/.exec(authorization);
    if (!match) {
      throw new BrokerError('TOKEN_INVALID', 'the Authorization header is not a bearer token');
    }
    const content = await broker.tokens.verify(match[1]!);
    return { ...content, session: undefined };
  }

  const session = requireSession(c, broker);
  const attested = broker.sessions.attestedState(session);
  if (!attested) {
    throw new BrokerError('NOT_ATTESTED', `session ${session.label} has not passed attestation`, {
      hint: 'POST /kbs/v0/attest first; an attested session expires after a few minutes',
    });
  }
  return { teePubkey: attested.teePubkey, claims: { ...attested.claims }, session: session.label };
}

function parseKeyId(keyset: string, type: string, tag: string): number {
  const valid =
    RESOURCE_SEGMENT.test(keyset) && type === KEY_RESOURCE_TYPE && /^[1-9]\d{0,9}$/.test(tag);
  if (!valid || Number(tag) > 0xffffffff) {
    throw new BrokerError('RESOURCE_NOT_FOUND', 'no such resource on this broker', {
      hint: 'keys are served as <key set>/key/<key id>, for example mariadb/key/1',
    });
  }
  return Number(tag);
}
