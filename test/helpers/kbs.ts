import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  createSimulatedTd,
  type SimulatedTdSummary,
} from '../../src/attest/evidence/simulated/td.js';
import { initBroker } from '../../src/kbs/broker/init.js';
import { createQuoteAppraiser } from '../../src/kbs/broker/quote-appraiser.js';
import { startBroker, type RunningBroker } from '../../src/kbs/broker/serve.js';
import type { RateLimits } from '../../src/kbs/broker/rate-limit.js';
import type { SessionLimits } from '../../src/kbs/broker/sessions.js';

/** A broker on 127.0.0.1 with a simulated TD whose test root it trusts. */
export interface TestBroker {
  readonly dir: string;
  readonly sim: SimulatedTdSummary;
  readonly caCert: string;
  /** Service log lines go here. */
  readonly logFile: string;
  broker: RunningBroker;
  /** Stops the broker and starts it again on the same port from the same directory. */
  readonly restart: () => Promise<void>;
  readonly close: () => Promise<void>;
}

/** Creates a simulated TD and a broker directory under `parent`, and starts the broker. */
export async function startTestBroker(
  parent: string,
  sessionLimits: Partial<SessionLimits> = {},
  authRate: Partial<RateLimits> = {},
): Promise<TestBroker> {
  const sim = await createSimulatedTd(join(parent, 'sim'));
  const dir = join(parent, 'broker');
  await initBroker({
    dir,
    listen: '127.0.0.1:0',
    policyPath: sim.policy,
    collateral: sim.collateral,
    keyset: 'mariadb',
  });
  const logFile = join(parent, 'broker.log');
  const rootPem = await readFile(sim.rootCa, 'utf8');

  const start = async (port: number) => {
    const appraiser = await createQuoteAppraiser({
      policyPath: sim.policy,
      collateralPaths: [sim.collateral],
      simulatedRoot: rootPem,
    });
    return startBroker({
      dir,
      listen: `127.0.0.1:${port}`,
      appraiser,
      sessionLimits,
      authRate,
      logDestination: pino.destination({ dest: logFile, sync: true, append: true }),
      logLevel: 'debug',
    });
  };

  const test: TestBroker = {
    dir,
    sim,
    caCert: await readFile(join(dir, 'tls', 'ca.pem'), 'utf8'),
    logFile,
    broker: await start(0),
    restart: async () => {
      const port = test.broker.port;
      await test.broker.close();
      test.broker = await start(port);
    },
    close: () => test.broker.close(),
  };
  return test;
}
