import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import type { BrokerKeySource } from '../../local/manifest.js';

/** Options that take a server's keys from a key broker by attestation, shared by up and provision. */
export interface BrokerKeyCliOptions {
  readonly kbs?: string | undefined;
  readonly kbsCa?: string | undefined;
  readonly keyset: string;
  readonly keyDelivery: 'vault' | 'keyfile';
  readonly evidence: 'tdx' | 'simulated';
  readonly simulatedTd?: string | undefined;
}

/** Adds `--kbs`, `--kbs-ca`, `--keyset`, `--key-delivery`, `--evidence` and `--simulated-td`. */
export function addBrokerKeyOptions<Args extends unknown[], Opts extends OptionValues>(
  command: Command<Args, Opts>,
): Command<Args, Opts & BrokerKeyCliOptions> {
  // The chain's own inferred type is too deep for declaration output; it equals this one.
  const extended = command
    .option('--kbs <url>', 'get keys from this key broker by attestation (fixed at creation)')
    .option('--kbs-ca <file>', 'CA certificate of the broker (required with --kbs)')
    .option('--keyset <name>', 'key set on the broker', 'mariadb')
    .addOption(
      new Option(
        '--key-delivery <mode>',
        'vault: agent on loopback, attesting again every 5 minutes so rotations apply; ' +
          'keyfile: key file on tmpfs, read once at start',
      )
        .choices(['vault', 'keyfile'] as const)
        .default('vault' as const),
    )
    .addOption(
      new Option('--evidence <source>', 'tdx: configfs-tsm; simulated: a SIMULATED TD for tests')
        .choices(['tdx', 'simulated'] as const)
        .default('tdx' as const),
    )
    .option('--simulated-td <dir>', 'directory made by "simulate td", with --evidence simulated');
  return extended as unknown as Command<Args, Opts & BrokerKeyCliOptions>;
}

/** Turns the broker options into a key source, or undefined when `--kbs` is not given. */
export function brokerKeySource(options: BrokerKeyCliOptions): BrokerKeySource | undefined {
  if (!options.kbs) {
    let stray: string | undefined;
    if (options.kbsCa) stray = '--kbs-ca';
    else if (options.simulatedTd) stray = '--simulated-td';
    if (stray) {
      throw new ConfigError('INVALID_OPTION', `${stray} has no effect without --kbs`, {
        hint: 'add --kbs URL of the key broker, or drop the option',
      });
    }
    return undefined;
  }
  if (!options.kbsCa) {
    throw new ConfigError('INVALID_OPTION', '--kbs needs --kbs-ca', {
      hint: 'pass the broker CA certificate, tls/ca.pem of the broker directory',
    });
  }
  if (options.evidence === 'simulated' && !options.simulatedTd) {
    throw new ConfigError('INVALID_OPTION', '--evidence simulated needs --simulated-td', {
      hint: 'create a simulated TD with: mariadb-tdx simulate td --dir DIR',
    });
  }
  return {
    kind: 'kbs',
    url: options.kbs,
    caFile: resolve(options.kbsCa),
    keyset: options.keyset,
    mode: options.keyDelivery,
    evidence: options.evidence,
    simulatedTd: options.simulatedTd ? resolve(options.simulatedTd) : undefined,
  };
}
