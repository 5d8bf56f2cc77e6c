import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import { BrokerError } from '../../errors.js';
import {
  AuthRequestSchema,
  RUNTIME_DATA_HASH,
  SESSION_COOKIE,
  SUPPORTED_PROTOCOL,
  TEE_TDX,
  type Challenge,
} from '../../protocol.js';
import { clientAddress, readJsonBody } from '../http.js';
import { clientKey } from '../client-key.js';
import type { BrokerContext } from '../context.js';

/** `POST /kbs/v0/auth`: opens a session and returns a fresh nonce. */
export async function handleAuth(c: Context, broker: BrokerContext) {
  const address = clientAddress(c);
  const client = clientKey(address);
  broker.authRate.take(client);
  const request = await readJsonBody(c, AuthRequestSchema);
  if (!SUPPORTED_PROTOCOL.test(request.version)) {
    throw new BrokerError(
      'UNSUPPORTED_VERSION',
      'the protocol version of the request is not supported',
      { hint: 'this broker speaks KBS protocol 0.4 ("version": "0.4.0")' },
    );
  }
  if (request.tee !== TEE_TDX) {
    throw new BrokerError('UNSUPPORTED_TEE', 'the TEE type of the request is not supported', {
      hint: 'this broker attests Intel TDX guests only ("tee": "tdx")',
    });
  }
  checkHashAlgorithms(request['extra-params']);

  const { id, session } = broker.sessions.create(client);
  setCookie(c, SESSION_COOKIE, id, {
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
    path: '/kbs',
    maxAge: Math.ceil((broker.limits.nonceTtlMs + broker.limits.attestedTtlMs) / 1000),
  });
  broker.audit({
    event: 'auth',
    decision: 'challenge issued',
    client: address,
    session: session.label,
  });

  // trustee returns "" for TDX, and its clients then use SHA-384, the only choice here.
  const challenge: Challenge = { nonce: session.nonce, 'extra-params': '' };
  return c.json(challenge);
}

// trustee clients list the runtime-data hash algorithms they support; SHA-384 must be one.
function checkHashAlgorithms(extraParams: unknown) {
  if (typeof extraParams !== 'object' || extraParams === null) return;
  const supported = (extraParams as Record<string, unknown>)['supported-hash-algorithms'];
  if (supported === undefined) return;

  const names = Array.isArray(supported) ? supported.map((name) => String(name).toLowerCase()) : [];
  if (!names.includes(RUNTIME_DATA_HASH)) {
    throw new BrokerError(
      'MALFORMED_REQUEST',
      'extra-params.supported-hash-algorithms does not include sha384',
      { hint: 'TDX runtime data is bound with SHA-384' },
    );
  }
}
