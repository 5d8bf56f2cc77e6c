import { readFile } from 'node:fs/promises';
import { BrokerError } from '../errors.js';
import { brokerLayout, readBrokerConfig, resolveInBroker } from './config.js';
import { createQuoteAppraiser } from './quote-appraiser.js';
import { startBroker, type RunningBroker } from './serve.js';

/** Options of {@link serveBroker}; unset values come from the broker directory's kbs.json. */
export interface ServeBrokerOptions {
  readonly dir: string;
  readonly listen?: string | undefined;
  readonly policyPath?: string | undefined;
  readonly collateral?: readonly string[] | undefined;
  /** PEM file of a SIMULATED test root to trust besides Intel's root. */
  readonly simulatedRoot?: string | undefined;
  readonly nonceTtlMs?: number | undefined;
  readonly logLevel?: string | undefined;
}

/**
 * Starts the broker of a directory with the quote verifier and policy of `quote verify`.
 * Quotes chain to the Intel SGX Root CA, or to a simulated test root only when one is given.
 */
export async function serveBroker(options: ServeBrokerOptions): Promise<RunningBroker> {
  const layout = brokerLayout(options.dir);
  const config = await readBrokerConfig(layout);

  const policyPath =
    options.policyPath ?? (config.policy ? resolveInBroker(layout, config.policy) : undefined);
  if (!policyPath) {
    throw new BrokerError('BROKER_DIR_INVALID', `${layout.root} has no appraisal policy`, {
      hint: 'pass --policy FILE; a broker never releases keys without one',
    });
  }
  const collateral = options.collateral?.length
    ? options.collateral
    : config.collateral
      ? [resolveInBroker(layout, config.collateral)]
      : [];
  const appraiser = await createQuoteAppraiser({
    policyPath,
    collateralPaths: collateral,
    simulatedRoot: options.simulatedRoot
      ? await readFile(options.simulatedRoot, 'utf8')
      : undefined,
  });

  return startBroker({
    dir: options.dir,
    listen: options.listen,
    appraiser,
    sessionLimits: options.nonceTtlMs ? { nonceTtlMs: options.nonceTtlMs } : undefined,
    logLevel: options.logLevel,
  });
}
