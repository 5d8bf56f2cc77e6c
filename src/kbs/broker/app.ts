import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { BrokerError, RetryLaterError } from '../errors.js';
import { KBS_PREFIX } from '../protocol.js';
import type { BrokerContext } from './context.js';
import { clientAddress, isAudited, problemOf, statusOf } from './http.js';
import { handleAttest } from './routes/attest.js';
import { handleAuth } from './routes/auth.js';
import { handleResource } from './routes/resource.js';

/**
 * Builds the broker's HTTP application. Known failures become RFC 7807 problem documents with a
 * stable code; anything else is a bare 500 whose details go only to the service log.
 *
 * @example
 * const app = createBrokerApp(context);
 * const reply = await app.request('/kbs/v0/auth', { method: 'POST', body: '{}' });
 */
export function createBrokerApp(broker: BrokerContext): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    broker.logger.info(
      {
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'request',
    );
  });

  app.post(`${KBS_PREFIX}/auth`, limit(broker.bodyLimits.authBytes), (c) => handleAuth(c, broker));
  app.post(`${KBS_PREFIX}/attest`, limit(broker.bodyLimits.attestBytes), (c) =>
    handleAttest(c, broker),
  );
  app.get(`${KBS_PREFIX}/resource/:repository/:type/:tag`, (c) => handleResource(c, broker));

  app.notFound((c) => {
    const error = new BrokerError('NOT_FOUND', 'no such route on this broker', {
      hint: `the protocol routes are under ${KBS_PREFIX}: auth, attest, resource`,
    });
    return c.json(problemOf(error, 404), 404);
  });

  app.onError((error, c) => respondToError(error, c, broker));
  return app;
}

function limit(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new BrokerError('PAYLOAD_TOO_LARGE', `the request body exceeds ${maxSize} bytes`);
    },
  });
}

function respondToError(error: unknown, c: Context, broker: BrokerContext) {
  const status = statusOf(error);
  if (status !== undefined && error instanceof BrokerError) {
    if (!isAudited(error)) {
      broker.audit({
        event: routeEvent(c.req.path),
        decision: 'refused',
        client: clientAddress(c),
        code: error.code,
      });
    }
    if (error instanceof RetryLaterError) c.header('Retry-After', String(error.retryAfterSeconds));
    return c.json(problemOf(error, status), status as 400);
  }

  broker.logger.error(
    { err: error, method: c.req.method, route: c.req.routePath },
    'request failed with an internal error',
  );
  return c.json({ type: 'about:blank', title: 'Internal Server Error', status: 500 }, 500);
}

function routeEvent(path: string) {
  if (path === `${KBS_PREFIX}/auth`) return 'auth' as const;
  if (path === `${KBS_PREFIX}/attest`) return 'attest' as const;
  if (path.startsWith(`${KBS_PREFIX}/resource/`)) return 'resource' as const;
  return 'request' as const;
}
