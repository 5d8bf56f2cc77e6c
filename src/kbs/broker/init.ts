import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { chmod, copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { loadCollateral } from '../../attest/collateral/load.js';
import { loadPolicy } from '../../attest/policy/parse.js';
import { BrokerError } from '../errors.js';
import { generateTlsMaterial } from '../../mariadb/tls.js';
import { isErrno, writeNewFile } from '../../util/fs.js';
import { KeyStore, checkKeySetName } from '../store/key-store.js';
import { generateMasterKey, loadMasterKey } from '../store/sealing.js';
import {
  DEFAULT_LISTEN,
  brokerLayout,
  exposureWarning,
  isWildcardHost,
  parseListen,
  writeBrokerConfig,
  type BrokerConfig,
  type BrokerLayout,
  type ListenAddress,
} from './config.js';

/** Options of {@link initBroker}. */
export interface InitBrokerOptions {
  readonly dir: string;
  /** `host:port`; default 127.0.0.1:8443. */
  readonly listen?: string | undefined;
  /** DNS names and IP addresses for the server certificate; default the listen host. */
  readonly serverNames?: readonly string[] | undefined;
  /** Appraisal policy to copy into the broker directory. */
  readonly policyPath?: string | undefined;
  /** Collateral file or cache directory for quote verification. */
  readonly collateral?: string | undefined;
  /** Name of a key set to create with keys 1 and 2; none when unset. */
  readonly keyset?: string | undefined;
}

/** What {@link initBroker} created. */
export interface InitBrokerResult {
  readonly dir: string;
  readonly listen: string;
  readonly caCert: string;
  readonly caFingerprint256: string;
  readonly serverNames: readonly string[];
  readonly policy: string | undefined;
  readonly keyset: string | undefined;
  /** Things the operator should know, such as a listen address beyond loopback. */
  readonly warnings: readonly string[];
}

/**
 * Creates a broker directory: configuration, a master key, a CA with a server certificate, an
 * optional policy copy and key set. Fails rather than touch a directory that is not empty. The
 * policy and collateral are loaded first, as `kbs serve` loads them, so a bad file fails here;
 * when any step fails, what this call created is removed, so the same command can run again.
 */
export async function initBroker(options: InitBrokerOptions): Promise<InitBrokerResult> {
  const layout = brokerLayout(options.dir);
  const listen = options.listen ?? DEFAULT_LISTEN;
  const address = parseListen(listen);
  const serverNames = certificateNames(address, options.serverNames);
  if (options.keyset !== undefined) checkKeySetName(options.keyset);
  if (options.policyPath) await loadPolicy(resolve(options.policyPath));
  if (options.collateral) await loadCollateral([resolve(options.collateral)]);

  const createdRoot = await createEmptyDir(layout.root);
  let created;
  try {
    created = await populate(layout, options, listen, serverNames);
  } catch (error) {
    await removeCreated(layout.root, createdRoot);
    throw error;
  }

  return {
    dir: layout.root,
    listen,
    caCert: layout.caCert,
    caFingerprint256: created.fingerprint,
    serverNames,
    policy: created.policy && join(layout.root, created.policy),
    keyset: options.keyset,
    warnings: [exposureWarning(address)].filter((warning) => warning !== undefined),
  };
}

/**
 * Returns the names the server certificate covers: those given, else the listen host. A wildcard
 * address such as 0.0.0.0 is no name a client connects to, so it needs explicit names.
 */
function certificateNames(address: ListenAddress, given: readonly string[] | undefined) {
  if (given?.length) return given;
  if (isWildcardHost(address.host)) {
    throw new BrokerError(
      'BROKER_DIR_INVALID',
      `listen address ${address.host} accepts connections on every interface, so it names no ` +
        'host for the server certificate',
      { hint: 'pass --server-name with each DNS name or IP address that agents connect to' },
    );
  }
  return [address.host];
}

async function populate(
  layout: BrokerLayout,
  options: InitBrokerOptions,
  listen: string,
  serverNames: readonly string[],
) {
  await writeNewFile(layout.masterKey, generateMasterKey());
  const master = await loadMasterKey(layout.masterKey);
  await mkdir(layout.keysDir, { mode: 0o700 });
  const fingerprint = await writeTls(layout, serverNames);

  let policy: string | undefined;
  if (options.policyPath) {
    policy = `policy${extname(options.policyPath) || '.json'}`;
    await copyFile(resolve(options.policyPath), join(layout.root, policy));
  }

  const config: BrokerConfig = {
    tool: 'mariadb-tdx-kbs',
    format: 1,
    listen,
    serverNames,
    policy,
    collateral: options.collateral ? resolve(options.collateral) : undefined,
    masterKeyCheck: master.checkValue,
    createdAt: new Date().toISOString(),
  };
  await writeBrokerConfig(layout, config);

  if (options.keyset !== undefined) {
    await new KeyStore(layout.keysDir, master.sealingKey).createKeySet(options.keyset);
  }
  return { fingerprint, policy };
}

/**
 * Removes what a failed init wrote: the whole directory when init created it, else its entries,
 * because {@link createEmptyDir} accepted it only while empty.
 */
async function removeCreated(root: string, createdRoot: boolean) {
  if (createdRoot) {
    await rm(root, { recursive: true, force: true });
    return;
  }
  for (const entry of await readdir(root)) {
    await rm(join(root, entry), { recursive: true, force: true });
  }
}

/** Creates `root`, or accepts it when it exists and is empty; returns true when it created it. */
async function createEmptyDir(root: string): Promise<boolean> {
  try {
    const entries = await readdir(root);
    if (entries.length > 0) {
      throw new BrokerError('BROKER_DIR_EXISTS', `${root} exists and is not empty`, {
        hint: 'choose a new --dir; kbs init never replaces a master key or key store',
      });
    }
    // An empty directory made beforehand gets the mode that serve requires.
    await chmod(root, 0o700);
    return false;
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  await mkdir(root, { recursive: true, mode: 0o700 });
  return true;
}

async function writeTls(layout: BrokerLayout, serverNames: readonly string[]) {
  const material = await generateTlsMaterial({
    caName: 'mariadb-tdx key broker CA',
    serverDnsNames: serverNames.filter((name) => isIP(name) === 0),
    serverIpAddresses: serverNames.filter((name) => isIP(name) !== 0),
  });
  await mkdir(layout.tlsDir, { mode: 0o700 });
  await writeNewFile(layout.caCert, material.caCert, 0o644);
  await writeNewFile(layout.caKey, material.caKey);
  await writeNewFile(layout.serverCert, material.serverCert, 0o644);
  await writeNewFile(layout.serverKey, material.serverKey);
  return new X509Certificate(material.caCert).fingerprint256;
}
