import { readFile } from 'node:fs/promises';
import { openEvidence } from '../attest/evidence/open.js';
import { AgentError } from './errors.js';
import { deliverKeyFile } from './agent/run.js';
import { createRamDirectory, removeRamDirectory, removeRamKeyFile } from './agent/ram-key-file.js';
import { generateVaultToken } from './agent/vault.js';
import { spawnAgent } from './agent-spawn.js';
import type { StateLayout } from '../mariadb/layout.js';
import type { BrokerKeySource } from '../local/manifest.js';
import type { ExternalKeys } from '../local/external-keys.js';
import {
  readAgentEndpoint,
  readAgentPid,
  stopAgent,
  writeAgentEndpoint,
} from '../local/agent-process.js';
import { isErrno } from '../util/fs.js';

/**
 * Attests to the broker and makes its keys available to the server about to start. The RAM
 * directory for the keys is removed again when this or the start fails, if this call created it.
 */
export async function prepareBrokerKeys(
  layout: StateLayout,
  source: BrokerKeySource,
  step: (text: string) => void,
): Promise<ExternalKeys> {
  const createdDir = await createRamDirectory(layout.ramKeysDir);
  let keys: ExternalKeys;
  try {
    keys = await obtainBrokerKeys(layout, source, step);
  } catch (error) {
    await removeRamDirectory(createdDir);
    throw error;
  }

  return {
    ...keys,
    abort: async () => {
      await keys.abort();
      await removeRamDirectory(createdDir);
    },
  };
}

async function obtainBrokerKeys(
  layout: StateLayout,
  source: BrokerKeySource,
  step: (text: string) => void,
): Promise<ExternalKeys> {
  const caCert = await readFile(source.caFile, 'utf8');
  if (source.mode === 'keyfile') {
    const delivery = await deliverKeyFile({
      connection: { url: source.url, caCert },
      keyset: source.keyset,
      evidence: await openEvidence(source.evidence, { simulatedTd: source.simulatedTd }),
      ramDir: layout.ramKeysDir,
      keyChecksFile: layout.brokerKeyCheckFile,
      onStep: step,
    });
    const remove = () => removeRamKeyFile(layout.ramKeysDir);
    return { keyFile: delivery.keyFile, env: process.env, afterStart: remove, abort: remove };
  }

  await stopAgent(layout);
  step('starting the agent that serves the keys to hashicorp_key_management');
  const token = generateVaultToken();
  // A free port for each start: the server option file written next carries the agent's URL.
  const ready = await spawnAgent(layout, source, token, 0);
  await writeAgentEndpoint(layout, {
    url: ready.url,
    port: Number(new URL(ready.url).port),
    caFile: ready.caFile,
  });
  return {
    vault: { url: ready.url, caFile: ready.caFile },
    env: { ...process.env, VAULT_TOKEN: token },
    afterStart: async () => undefined,
    abort: async () => {
      await stopAgent(layout);
    },
  };
}

/**
 * Starts the agent again for a server that still runs but whose agent died, so that the
 * server can fetch keys and new key versions again. The new agent listens on the recorded port
 * and accepts the token the server was started with, read from the server's own environment;
 * the server itself is not restarted.
 */
export async function restartBrokerAgent(
  layout: StateLayout,
  source: BrokerKeySource,
  serverPid: number,
  step: (text: string) => void,
): Promise<number | undefined> {
  if (source.mode !== 'vault' || (await readAgentPid(layout)) !== undefined) return undefined;

  const endpoint = await readAgentEndpoint(layout);
  const token = await readServerToken(serverPid);
  if (!endpoint || !token) {
    throw new AgentError(
      'AGENT_START_FAILED',
      `the agent that serves the keys of the running server (pid ${serverPid}) is not running, ` +
        'and its endpoint or token cannot be recovered',
      { hint: 'restart both with: mariadb-tdx down, then mariadb-tdx up' },
    );
  }
  step(`the agent that serves the keys is not running; starting it again on port ${endpoint.port}`);
  const ready = await spawnAgent(layout, source, token, endpoint.port);
  await writeAgentEndpoint(layout, { ...endpoint, caFile: ready.caFile });
  return ready.pid;
}

/**
 * Reads VAULT_TOKEN from /proc/PID/environ, the environment the server was started with. Only
 * the server's owner (or root) can read it; the token is passed on to the agent and never
 * written or logged.
 */
async function readServerToken(pid: number): Promise<string | undefined> {
  let environment: string;
  try {
    environment = await readFile(`/proc/${pid}/environ`, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'EACCES') || isErrno(error, 'EPERM')) {
      return undefined;
    }
    throw error;
  }
  const entry = environment.split('\0').find((item) => item.startsWith('VAULT_TOKEN='));
  return entry?.slice('VAULT_TOKEN='.length) || undefined;
}
