import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EvidenceProvider } from '../../attest/evidence/types.js';
import type { KeyRing } from '../../mariadb/keys.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { KbsConnection } from './client.js';
import { reconcileKeyChecks } from './key-checks.js';
import { obtainKeys, type ObtainKeysResult, type ReleasedKeys } from './obtain.js';
import { createRamDirectory, removeRamDirectory, writeRamKeyFile } from './ram-key-file.js';
import { generateVaultToken, startVaultEndpoint, type VaultEndpoint } from './vault.js';

/** Options shared by both ways of delivering keys. */
export interface AgentOptions {
  readonly connection: KbsConnection;
  readonly keyset: string;
  readonly keyIds?: readonly number[] | undefined;
  readonly evidence: EvidenceProvider;
  /** RAM-backed directory for the key file, or for the Vault endpoint's CA and token. */
  readonly ramDir: string;
  /** Check-value record of the database; when set, released keys are compared with it. */
  readonly keyChecksFile?: string | undefined;
  readonly onStep?: ((step: string) => void) | undefined;
}

/** Public summary of a delivery: key versions and attested claims, never key material. */
export interface AgentSummary {
  readonly keyset: string;
  readonly evidence: EvidenceProvider['kind'];
  /** Versions released per key id. */
  readonly keys: readonly { readonly id: number; readonly versions: readonly number[] }[];
  /**
   * Versions seen for the first time. On the first delivery these are the versions newly
   * recorded in the check-value file, and on a refresh those the agent did not serve before.
   */
  readonly newVersions: readonly { readonly id: number; readonly version: number }[];
  /** Public claims that the broker attested (measurements, TCB status). */
  readonly claims: Record<string, unknown>;
}

/** Result of {@link deliverKeyFile}. */
export interface KeyFileDelivery extends AgentSummary {
  readonly mode: 'keyfile';
  readonly keyFile: string;
  /** The version of each key id written to the key file. */
  readonly pinned: readonly { readonly id: number; readonly version: number }[];
}

/**
 * Attests, fetches the keys and writes them as a file_key_management key file on tmpfs. That
 * plugin has no key versions, so each id gets the version recorded when the database was
 * created (the newest one on first use), and a rotation changes nothing for it. When it fails,
 * it removes the RAM directory if it created it.
 */
export async function deliverKeyFile(options: AgentOptions): Promise<KeyFileDelivery> {
  const createdDir = await prepareRamDir(options.ramDir);
  try {
    return await writeKeyFile(options);
  } catch (error) {
    await removeRamDirectory(createdDir);
    throw error;
  }
}

async function writeKeyFile(options: AgentOptions): Promise<KeyFileDelivery> {
  const result = await obtainKeys(options);
  const reconciled = options.keyChecksFile
    ? await reconcileKeyChecks(options.keyChecksFile, options.keyset, result.keys, { pin: true })
    : undefined;

  const ring: KeyRing = new Map();
  const pinned = [];
  for (const [id, versions] of result.keys) {
    const chosen = reconciled?.pinned.get(id) ?? versions.at(-1)!;
    ring.set(id, chosen.key);
    pinned.push({ id, version: chosen.version });
  }
  options.onStep?.(`writing the key file to ${options.ramDir} (RAM-backed)`);
  const keyFile = await writeRamKeyFile(options.ramDir, ring);
  return { ...summarize(result, reconciled?.added ?? []), mode: 'keyfile', keyFile, pinned };
}

/** Options of {@link serveVault}. */
export interface VaultAgentOptions extends AgentOptions {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  /** Token to require; default a fresh one written to `<ramDir>/vault-token`. */
  readonly token?: string | undefined;
  readonly logger?: Logger | undefined;
}

/** A running Vault-mode agent. */
export interface VaultAgent extends AgentSummary {
  readonly mode: 'vault';
  readonly url: string;
  readonly caFile: string;
  /** Path of the generated token file; undefined when the caller supplied the token. */
  readonly tokenFile: string | undefined;
  /** Attests again and serves the newest key versions, for example after a rotation. */
  readonly refresh: () => Promise<AgentSummary>;
  /**
   * Stops the endpoint and deletes the CA and token files it wrote, and the RAM directory when
   * the agent created it.
   */
  readonly close: () => Promise<void>;
}

/**
 * Attests, fetches every key version and serves them to hashicorp_key_management on a loopback
 * Vault KV v2 endpoint until closed. Nothing but the per-boot CA certificate and, when the
 * caller supplies no token, the token (both on tmpfs) is written anywhere. When it fails, it
 * removes the RAM directory if it created it.
 */
export async function serveVault(options: VaultAgentOptions): Promise<VaultAgent> {
  const createdDir = await prepareRamDir(options.ramDir);
  try {
    return await startVault(options, createdDir);
  } catch (error) {
    await removeRamDirectory(createdDir);
    throw error;
  }
}

async function startVault(
  options: VaultAgentOptions,
  createdDir: string | undefined,
): Promise<VaultAgent> {
  const fetchAndCheck = async () => {
    const result = await obtainKeys(options);
    const reconciled = options.keyChecksFile
      ? await reconcileKeyChecks(options.keyChecksFile, options.keyset, result.keys, { pin: false })
      : undefined;
    return { summary: summarize(result, reconciled?.added ?? []), released: result.keys };
  };

  // The endpoint listens before the agent attests, so a busy port fails before the broker
  // releases any key. It serves nothing until the keys arrive.
  const token = options.token ?? generateVaultToken();
  const endpoint: VaultEndpoint = await startVaultEndpoint({
    keys: new Map(),
    token,
    host: options.host,
    port: options.port,
    logger: options.logger,
  });
  let first: Awaited<ReturnType<typeof fetchAndCheck>>;
  try {
    first = await fetchAndCheck();
  } catch (error) {
    await endpoint.close();
    throw error;
  }
  endpoint.updateKeys(first.released);

  const caFile = join(options.ramDir, 'vault-ca.pem');
  await writeFileAtomic(caFile, endpoint.caCert, 0o644);
  let tokenFile: string | undefined;
  if (options.token === undefined) {
    tokenFile = join(options.ramDir, 'vault-token');
    await writeFileAtomic(tokenFile, `${token}\n`, 0o600);
  }

  let served = first.released;
  return {
    ...first.summary,
    mode: 'vault',
    url: endpoint.url,
    caFile,
    tokenFile,
    refresh: async () => {
      const next = await fetchAndCheck();
      const added = versionsAdded(served, next.released);
      endpoint.updateKeys(next.released);
      served = next.released;
      return { ...next.summary, newVersions: added };
    },
    // The CA and the token belong to this boot of the endpoint: they go with it.
    close: async () => {
      await endpoint.close();
      await rm(caFile, { force: true });
      if (tokenFile) await rm(tokenFile, { force: true });
      await removeRamDirectory(createdDir);
    },
  };
}

/** Versions in `next` that `previous` did not have, such as those a rotation added. */
function versionsAdded(previous: ReleasedKeys, next: ReleasedKeys) {
  const added: { id: number; version: number }[] = [];
  for (const [id, versions] of next) {
    const known = new Set((previous.get(id) ?? []).map((entry) => entry.version));
    for (const entry of versions) {
      if (!known.has(entry.version)) added.push({ id, version: entry.version });
    }
  }
  return added;
}

/** Creates the RAM directory when needed; returns what {@link createRamDirectory} returns. */
async function prepareRamDir(dir: string) {
  const created = await createRamDirectory(dir);
  // A marker file explains to an operator what the directory is for.
  await writeFile(join(dir, 'README'), 'RAM-only directory of the mariadb-tdx agent.\n');
  return created;
}

// The summary is public: versions and claims, never key bytes.
function summarize(
  result: ObtainKeysResult,
  added: readonly { id: number; version: number }[],
): AgentSummary {
  return {
    keyset: result.keyset,
    evidence: result.evidence,
    keys: [...result.keys].map(([id, versions]) => ({
      id,
      versions: versions.map((version) => version.version),
    })),
    newVersions: added,
    claims: result.claims,
  };
}
