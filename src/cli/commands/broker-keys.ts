import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import { readInputFile } from '../files.js';
import { parseKbsUrl } from '../../kbs/url.js';
import type { BrokerKeySource } from '../../local/manifest.js';

/** Options that take a server's keys from a key broker by attestation, shared by up and provision. */
export interface BrokerKeyCliOptions {
  readonly kbs?: string | undefined;
  readonly kbsCa?: string | undefined;
  readonly keyset?: string | undefined;
  readonly keyDelivery?: 'vault' | 'keyfile' | undefined;
  readonly evidence?: 'tdx' | 'simulated' | undefined;
  readonly simulatedTd?: string | undefined;
}

// The defaults are applied here rather than by the option parser, so that an option given
// without --kbs is seen and refused rather than mistaken for its default.
export const DEFAULT_KEYSET = 'mariadb';

/** Adds `--kbs`, `--kbs-ca`, `--keyset`, `--key-delivery`, `--evidence` and `--simulated-td`. */
export function addBrokerKeyOptions<Args extends unknown[], Opts extends OptionValues>(
  command: Command<Args, Opts>,
): Command<Args, Opts & BrokerKeyCliOptions> {
  // The chain's own inferred type is too deep for declaration output; it equals this one.
  const extended = command
    .option('--kbs <url>', 'get keys from this key broker by attestation (fixed at creation)')
    .option('--kbs-ca <file>', 'CA certificate of the broker (required with --kbs)')
    .option('--keyset <name>', `key set on the broker (default: ${DEFAULT_KEYSET})`)
    .addOption(
      new Option(
        '--key-delivery <mode>',
        'vault (default): agent on loopback, attesting again every 5 minutes so rotations ' +
          'apply; keyfile: key file on tmpfs, read once at start',
      ).choices(['vault', 'keyfile'] as const),
    )
    .addOption(
      new Option(
        '--evidence <source>',
        'tdx (default): configfs-tsm; simulated: a SIMULATED TD for tests',
      ).choices(['tdx', 'simulated'] as const),
    )
    .option('--simulated-td <dir>', 'directory made by "simulate td", with --evidence simulated');
  return extended as unknown as Command<Args, Opts & BrokerKeyCliOptions>;
}

/**
 * Turns the broker options into a key source, or undefined when `--kbs` is not given. The CA
 * file is read now, so a wrong file fails before anything is created.
 */
export async function brokerKeySource(
  options: BrokerKeyCliOptions,
): Promise<BrokerKeySource | undefined> {
  if (!options.kbs) {
    rejectWithoutKbs(options);
    return undefined;
  }
  if (options.simulatedTd && options.evidence !== 'simulated') {
    throw new ConfigError('INVALID_OPTION', '--simulated-td needs --evidence simulated', {
      hint: 'add --evidence simulated to attest with the simulated TD, or drop --simulated-td',
    });
  }
  if (options.evidence === 'simulated' && !options.simulatedTd) {
    throw new ConfigError('INVALID_OPTION', '--evidence simulated needs --simulated-td', {
      hint: 'create a simulated TD with: mariadb-tdx simulate td --dir DIR',
    });
  }
  const { caFile } = await readBrokerConnection(options.kbs, options.kbsCa);
  return {
    kind: 'kbs',
    url: options.kbs,
    caFile,
    keyset: options.keyset ?? DEFAULT_KEYSET,
    mode: options.keyDelivery ?? 'vault',
    evidence: options.evidence ?? 'tdx',
    simulatedTd: options.simulatedTd ? resolve(options.simulatedTd) : undefined,
  };
}

/**
 * Checks `--kbs` and `--kbs-ca` and reads the CA certificate, so a mistake in either fails
 * before anything is created.
 */
export async function readBrokerConnection(
  url: string,
  caFile: string | undefined,
): Promise<{ caFile: string; caPem: string }> {
  parseKbsUrl(url);
  if (!caFile) {
    throw new ConfigError('INVALID_OPTION', '--kbs needs --kbs-ca', {
      hint: 'pass the broker CA certificate, tls/ca.pem of the broker directory',
    });
  }
  return { caFile: resolve(caFile), caPem: await readBrokerCaCertificate(caFile) };
}

/**
 * Reads the broker's CA certificate named by `--kbs-ca`. A file that is not a PEM certificate
 * fails here with INVALID_OPTION, not later as a TLS failure against the broker.
 */
export async function readBrokerCaCertificate(path: string): Promise<string> {
  const pem = await readInputFile(path, 'broker CA file', '--kbs-ca');
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigError('INVALID_OPTION', `--kbs-ca ${path} is not a PEM certificate`, {
      hint: 'pass tls/ca.pem of the broker directory',
    });
  }
  return pem;
}

const KBS_ONLY_OPTIONS: readonly [keyof BrokerKeyCliOptions, string][] = [
  ['kbsCa', '--kbs-ca'],
  ['keyset', '--keyset'],
  ['keyDelivery', '--key-delivery'],
  ['evidence', '--evidence'],
  ['simulatedTd', '--simulated-td'],
];

/** Refuses a key broker option given without `--kbs`, which would be silently ignored. */
export function rejectWithoutKbs(options: BrokerKeyCliOptions) {
  const stray = KBS_ONLY_OPTIONS.find(([key]) => options[key] !== undefined);
  if (!stray) return;
  throw new ConfigError('INVALID_OPTION', `${stray[1]} has no effect without --kbs`, {
    hint: 'add --kbs URL of the key broker, or drop the option',
  });
}
