import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { StateLayout } from '../mariadb/layout.js';
import type { BrokerKeySource } from '../local/manifest.js';
import { AgentError } from './errors.js';

const CLI_PATH = fileURLToPath(new URL('../../bin/mariadb-tdx.js', import.meta.url));
const AGENT_START_TIMEOUT_MS = 120_000;

/**
 * Interval at which the background agent attests again to pick up key rotations. MariaDB then
 * reads a new key version within this interval plus hashicorp_key_management_cache_version_timeout.
 */
export const AGENT_REFRESH_SECONDS = 300;

/** First line that a started agent prints. */
export interface AgentReady {
  readonly url: string;
  readonly caFile: string;
  readonly pid: number;
}

/**
 * Starts `mariadb-tdx agent --mode vault` in the background on `127.0.0.1:<port>` (0: a free
 * port). The token goes to it on standard input and never touches a file; the agent reports
 * its endpoint as one JSON line, and its service log (never key material) is appended to
 * `log/agent.log` of the state directory.
 */
export async function spawnAgent(
  layout: StateLayout,
  source: BrokerKeySource,
  token: string,
  port: number,
): Promise<AgentReady> {
  const args = [
    CLI_PATH,
    'agent',
    `--kbs=${source.url}`,
    `--kbs-ca=${source.caFile}`,
    `--keyset=${source.keyset}`,
    `--evidence=${source.evidence}`,
    ...(source.simulatedTd ? [`--simulated-td=${source.simulatedTd}`] : []),
    '--mode=vault',
    `--vault-listen=127.0.0.1:${port}`,
    `--refresh=${AGENT_REFRESH_SECONDS}`,
    `--ram-dir=${layout.ramKeysDir}`,
    `--key-checks=${layout.brokerKeyCheckFile}`,
    `--pid-file=${layout.agentPidFile}`,
    '--token-stdin',
    '--json',
  ];
  await mkdir(layout.logDir, { recursive: true, mode: 0o700 });
  const log = await open(layout.agentLogFile, 'a', 0o600);
  try {
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['pipe', 'pipe', log.fd],
    });
    child.stdin!.end(`${token}\n`);
    return await waitUntilReady(child, layout);
  } finally {
    await log.close();
  }
}

function waitUntilReady(child: ReturnType<typeof spawn>, layout: StateLayout) {
  const stdout = child.stdout!;
  return new Promise<AgentReady>((resolve, reject) => {
    const lines = createInterface({ input: stdout });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(
        new AgentError('AGENT_START_FAILED', 'the agent did not become ready in time', {
          hint: `see ${layout.agentLogFile}`,
        }),
      );
    }, AGENT_START_TIMEOUT_MS);
    const finish = () => {
      clearTimeout(timer);
      lines.close();
      stdout.destroy();
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
          { hint: `see ${layout.agentLogFile}` },
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
        { hint: failure.hint, reason: failure.code },
      ),
    };
  }
  return { url: String(parsed.url), caFile: String(parsed.caFile), pid: Number(parsed.pid) };
}
