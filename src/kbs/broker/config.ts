import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { BrokerError } from '../errors.js';
import { isErrno, writeFileAtomic } from '../../util/fs.js';

/** Default listen address: loopback only, so a broker is never exposed by accident. */
export const DEFAULT_LISTEN = '127.0.0.1:8443';

/** Every path of a broker directory. */
export interface BrokerLayout {
  readonly root: string;
  readonly config: string;
  readonly masterKey: string;
  readonly keysDir: string;
  readonly tlsDir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly auditLog: string;
}

export function brokerLayout(dir: string): BrokerLayout {
  const root = resolve(dir);
  return {
    root,
    config: join(root, 'kbs.json'),
    masterKey: join(root, 'master.key'),
    keysDir: join(root, 'keys'),
    tlsDir: join(root, 'tls'),
    caCert: join(root, 'tls', 'ca.pem'),
    caKey: join(root, 'tls', 'ca-key.pem'),
    serverCert: join(root, 'tls', 'server.pem'),
    serverKey: join(root, 'tls', 'server-key.pem'),
    auditLog: join(root, 'audit.log'),
  };
}

/** Contents of `kbs.json`. Paths are relative to the broker directory unless absolute. */
export interface BrokerConfig {
  readonly tool: 'mariadb-tdx-kbs';
  readonly format: 1;
  /** `host:port` to listen on; `[::1]:port` for IPv6. */
  readonly listen: string;
  /** Names and addresses that the server certificate covers. */
  readonly serverNames: readonly string[];
  /** Appraisal policy file (JSON or YAML), in the format of `quote verify --policy`. */
  readonly policy?: string | undefined;
  /** Collateral for quote verification: a file or a cache directory. */
  readonly collateral?: string | undefined;
  /**
   * Check value of the master key that kbs init generated, so a replaced master.key is found
   * even before the store contains a key. Directories made before it existed lack it.
   */
  readonly masterKeyCheck?: string | undefined;
  readonly createdAt: string;
}

/** A parsed listen address. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` or `[v6]:port`. */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d+)$/.exec(value);
  if (!match) {
    throw new BrokerError('BROKER_DIR_INVALID', `listen address ${value} is not host:port`, {
      hint: 'for example 127.0.0.1:8443, or [::1]:8443 for IPv6; port 0 picks a free port',
    });
  }
  const port = Number(match[3]);
  if (port > 65535) {
    throw new BrokerError(
      'BROKER_DIR_INVALID',
      `port ${match[3]} of listen address ${value} is out of range`,
      { hint: 'a TCP port is 1 to 65535, or 0 to pick a free one' },
    );
  }
  return { host: match[1] ?? match[2]!, port };
}

/** True for an address that accepts connections on every interface (0.0.0.0, ::). */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || /^[0:]+$/.test(host);
}

/** True for a loopback address or name, which no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || /^127\./.test(host) || host === '::1';
}

/** Warns when a broker listens beyond loopback; undefined on loopback. */
export function exposureWarning(address: ListenAddress): string | undefined {
  if (isLoopbackHost(address.host)) return undefined;
  const where = isWildcardHost(address.host)
    ? 'on every network interface'
    : `on ${address.host}, beyond loopback`;
  return (
    `the broker listens ${where}: any machine that can reach it may attest and request keys, ` +
    'so only the appraisal policy protects them'
  );
}

/** Reads and validates `kbs.json`. */
export async function readBrokerConfig(layout: BrokerLayout): Promise<BrokerConfig> {
  let parsed: Partial<BrokerConfig>;
  try {
    parsed = JSON.parse(await readFile(layout.config, 'utf8')) as Partial<BrokerConfig>;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new BrokerError('BROKER_DIR_INVALID', `${layout.root} is not a broker directory`, {
        hint: `create one with: mariadb-tdx kbs init --dir ${layout.root}`,
        cause: error,
      });
    }
    throw new BrokerError('BROKER_DIR_INVALID', `${layout.config} is not valid JSON`, {
      hint: 'restore it from your backup',
      cause: error,
    });
  }

  const valid =
    parsed.tool === 'mariadb-tdx-kbs' &&
    parsed.format === 1 &&
    typeof parsed.listen === 'string' &&
    Array.isArray(parsed.serverNames) &&
    (parsed.policy === undefined || typeof parsed.policy === 'string') &&
    (parsed.collateral === undefined || typeof parsed.collateral === 'string') &&
    (parsed.masterKeyCheck === undefined || typeof parsed.masterKeyCheck === 'string');
  if (!valid) {
    throw new BrokerError('BROKER_DIR_INVALID', `${layout.config} is not a valid broker config`, {
      hint: 'restore it from your backup',
    });
  }
  parseListen(parsed.listen!);
  return parsed as BrokerConfig;
}

export async function writeBrokerConfig(layout: BrokerLayout, config: BrokerConfig) {
  await writeFileAtomic(layout.config, `${JSON.stringify(config, null, 2)}\n`, 0o644);
}

/** Resolves a path from the config against the broker directory. */
export function resolveInBroker(layout: BrokerLayout, path: string): string {
  return isAbsolute(path) ? path : join(layout.root, path);
}
