import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { openEvidence } from '../attest/evidence/open.js';
import { AgentError } from './errors.js';
import { deliverKeyFile } from './agent/run.js';
import { removeRamKeyFile } from './agent/ram-key-file.js';
import { generateVaultToken } from './agent/vault.js';
import type { StateLayout } from '../mariadb/layout.js';
import type { BrokerKeySource } from '../local/manifest.js';
import type { ExternalKeys } from '../local/external-keys.js';
import { stopAgent } from '../local/agent-process.js';

const CLI_PATH = fileURLToPath(new URL('../../bin/mariadb-tdx.js', import.meta.url));
const AGENT_START_TIMEOUT_MS = 120_000;

/** Attests to the broker and makes its keys available to the server about to start. */
export async function prepareBrokerKeys(
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
  const ready = await spawnAgent(layout, source, token);
  return {
    vault: { url: ready.url, caFile: ready.caFile },
    env: { ...process.env, VAULT_TOKEN: token },
    afterStart: async () => undefined,
    abort: async () => {
      await stopAgent(layout);
    },
  };
}

interface AgentReady {
  readonly url: string;
  readonly caFile: string;
  readonly pid: number;
}

/**
 * Starts `mariadb-tdx agent --mode vault` in the background. The token goes to it on standard
 * input and never touches a file; the agent reports its endpoint as one JSON line.
 */
function spawnAgent(layout: StateLayout, source: BrokerKeySource, token: string) {
  const args = [
    CLI_PATH,
    'agent',
    `--kbs=${source.url}`,
    `--kbs-ca=${source.caFile}`,
    `--keyset=${source.keyset}`,
    `--evidence=${source.evidence}`,
    ...(source.simulatedTd ? [`--simulated-td=${source.simulatedTd}`] : []),
    '--mode=vault',
    `--ram-dir=${layout.ramKeysDir}`,
    `--key-checks=${layout.brokerKeyCheckFile}`,
    `--pid-file=${layout.agentPidFile}`,
    '--token-stdin',
    '--json',
  ];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  child.stdin.end(`${token}\n`);

  return new Promise<AgentReady>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new AgentError('AGENT_START_FAILED', 'the agent did not become ready in time'));
    }, AGENT_START_TIMEOUT_MS);
    const finish = () => {
      clearTimeout(timer);
      lines.close();
      child.stdout.destroy();
      child.unref();
    };

    lines.once('line', (line) => {
      finish();
      const reply = parseAgentLine(line);
      if ('error' in reply) reject(reply.error);
      else resolve(reply);
    });
    child.once('exit', (code) => {
      finish();
      reject(
        new AgentError(
          'AGENT_START_FAILED',
          `the agent exited with status ${code} before it was ready`,
        ),
      );
    });
  });
}

function parseAgentLine(line: string): AgentReady | { error: AgentError } {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return {
      error: new AgentError('AGENT_START_FAILED', 'the agent wrote an unreadable status line'),
    };
  }
  const failure = parsed.error as { code?: string; message?: string; hint?: string } | undefined;
  if (failure) {
    return {
      error: new AgentError(
        'AGENT_START_FAILED',
        `the agent failed: ${failure.message} [${failure.code}]`,
        {
          hint: failure.hint,
          reason: failure.code,
        },
      ),
    };
  }
  return { url: String(parsed.url), caFile: String(parsed.caFile), pid: Number(parsed.pid) };
}
