import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { DestinationStream, Logger } from 'pino';
import { BrokerError } from '../errors.js';
import { openCheckedKeyStore } from '../store/master-check.js';
import type { QuoteAppraiser } from './appraisal.js';
import { createBrokerApp } from './app.js';
import { brokerLayout, parseListen, readBrokerConfig, type BrokerLayout } from './config.js';
import { aggregateAudit } from './audit-aggregate.js';
import {
  DEFAULT_AUTH_RATE,
  DEFAULT_BODY_LIMITS,
  DEFAULT_SESSION_LIMITS,
  type BodyLimits,
  type BrokerContext,
} from './context.js';
import { checkBrokerPermissions } from './permissions.js';
import { createServiceLogger, openAuditLog, type AuditLog } from './logging.js';
import { RateLimiter, type RateLimits } from './rate-limit.js';
import { SessionTable, type SessionLimits } from './sessions.js';
import { TokenIssuer } from './tokens.js';

/** Options of {@link startBroker}. */
export interface StartBrokerOptions {
  readonly dir: string;
  /** `host:port`; default the one in kbs.json. Port 0 picks a free port. */
  readonly listen?: string | undefined;
  /** Verifies quotes and applies the policy. */
  readonly appraiser: QuoteAppraiser;
  readonly sessionLimits?: Partial<SessionLimits> | undefined;
  /** Rate at which one client may open sessions; default DEFAULT_AUTH_RATE. */
  readonly authRate?: Partial<RateLimits> | undefined;
  readonly bodyLimits?: Partial<BodyLimits> | undefined;
  /** Destination of service log lines; default standard error. */
  readonly logDestination?: DestinationStream | undefined;
  readonly logLevel?: string | undefined;
}

/** A running broker. */
export interface RunningBroker {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly caCert: string;
  readonly auditLog: string;
  readonly logger: Logger;
  /** Stops accepting connections, closes open ones and flushes the audit log. */
  readonly close: () => Promise<void>;
}

// Sessions and expired nonces are swept at this interval, besides the sweep on every `auth`.
const SWEEP_INTERVAL_MS = 30_000;

/** Starts the broker over HTTPS with its directory's certificate, key store and audit log. */
export async function startBroker(options: StartBrokerOptions): Promise<RunningBroker> {
  const layout = brokerLayout(options.dir);
  const config = await readBrokerConfig(layout);
  await checkBrokerPermissions(layout);
  const address = parseListen(options.listen ?? config.listen);
  const logger = createServiceLogger(options.logDestination, options.logLevel);

  const store = await openCheckedKeyStore(layout, config);
  const limits = { ...DEFAULT_SESSION_LIMITS, ...options.sessionLimits };
  const sessions = new SessionTable(limits);
  const auditLog = openAuditLog(layout.auditLog);
  const audit = aggregateAudit(auditLog.sink);
  const context: BrokerContext = {
    store,
    appraiser: options.appraiser,
    sessions,
    authRate: new RateLimiter({ ...DEFAULT_AUTH_RATE, ...options.authRate }),
    tokens: await TokenIssuer.create(),
    audit: audit.sink,
    logger,
    limits,
    bodyLimits: { ...DEFAULT_BODY_LIMITS, ...options.bodyLimits },
  };

  const app = createBrokerApp(context);
  const server = await listen(layout, app.fetch, address.host, address.port).catch((error) => {
    auditLog.close();
    throw error;
  });
  const sweeper = setInterval(() => {
    sessions.sweep();
    audit.closeExpired();
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  const port = (server.address() as AddressInfo).port;
  const url = `https://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`;
  logger.info({ url, keyStore: layout.keysDir, auditLog: layout.auditLog }, 'broker started');

  return {
    url,
    host: address.host,
    port,
    caCert: layout.caCert,
    auditLog: layout.auditLog,
    logger,
    close: () => closeBroker(server, sweeper, { ...auditLog, flush: audit.flush }, logger),
  };
}

async function listen(
  layout: BrokerLayout,
  fetch: (request: Request) => Response | Promise<Response>,
  host: string,
  port: number,
): Promise<ServerType> {
  const [cert, key] = await Promise.all([
    readFile(layout.serverCert, 'utf8'),
    readFile(layout.serverKey, 'utf8'),
  ]);

  return new Promise((resolve, reject) => {
    const server = serve({
      fetch,
      hostname: host,
      port,
      createServer,
      serverOptions: { cert, key, minVersion: 'TLSv1.2' },
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new BrokerError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${error.code}`, {
          hint: 'choose another --listen address or stop the program that uses it',
          cause: error,
        }),
      );
    });
    server.once('listening', () => resolve(server));
  });
}

async function closeBroker(
  server: ServerType,
  sweeper: NodeJS.Timeout,
  auditLog: AuditLog & { flush: () => void },
  logger: Logger,
) {
  clearInterval(sweeper);
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
  auditLog.flush();
  auditLog.close();
  logger.info('broker stopped');
  logger.flush();
}
