import { readFile, rm } from 'node:fs/promises';
import type { StateLayout } from '../mariadb/layout.js';
import { isErrno, writeFileAtomic } from '../util/fs.js';
import { isProcessRunning, readProcessCommandLine, waitForProcessExit } from '../util/process.js';

const AGENT_STOP_TIMEOUT_MS = 10_000;

/** The endpoint of the agent that serves a state directory's keys (public values only). */
export interface AgentEndpoint {
  /** hashicorp_key_management_vault_url of the running server. */
  readonly url: string;
  /** Loopback port of that URL; a restarted agent listens on it again. */
  readonly port: number;
  readonly caFile: string;
}

/** Whether the agent of a state directory runs, and where it logs. */
export interface AgentStatus {
  readonly running: boolean;
  readonly pid: number | undefined;
  readonly url: string | undefined;
  readonly logFile: string;
}

/** Stops the agent of a state directory, if one runs; returns its pid. */
export async function stopAgent(layout: StateLayout): Promise<number | undefined> {
  const pid = await readAgentPid(layout);
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    await waitForProcessExit(pid, AGENT_STOP_TIMEOUT_MS);
  }
  await rm(layout.agentPidFile, { force: true });
  return pid;
}

/** Returns the agent's pid, only when that process is the agent of this state directory. */
export async function readAgentPid(layout: StateLayout): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(layout.agentPidFile, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || !(await isProcessRunning(pid))) return undefined;
  const commandLine = await readProcessCommandLine(pid);
  return commandLine?.includes(`--pid-file=${layout.agentPidFile}`) ? pid : undefined;
}

/** Records the endpoint of a started agent. */
export async function writeAgentEndpoint(layout: StateLayout, endpoint: AgentEndpoint) {
  await writeFileAtomic(layout.agentStateFile, `${JSON.stringify(endpoint, null, 2)}\n`, 0o644);
}

/** Reads the recorded endpoint; undefined when none was recorded or the record is unreadable. */
export async function readAgentEndpoint(layout: StateLayout): Promise<AgentEndpoint | undefined> {
  let parsed: Partial<AgentEndpoint>;
  try {
    parsed = JSON.parse(await readFile(layout.agentStateFile, 'utf8')) as Partial<AgentEndpoint>;
  } catch (error) {
    if (isErrno(error, 'ENOENT') || error instanceof SyntaxError) return undefined;
    throw error;
  }
  const valid =
    typeof parsed.url === 'string' &&
    typeof parsed.caFile === 'string' &&
    Number.isInteger(parsed.port) &&
    parsed.port! > 0 &&
    parsed.port! <= 65535;
  return valid ? (parsed as AgentEndpoint) : undefined;
}

/** Reports whether the agent of a state directory runs. */
export async function agentStatus(layout: StateLayout): Promise<AgentStatus> {
  const pid = await readAgentPid(layout);
  const endpoint = await readAgentEndpoint(layout);
  return { running: pid !== undefined, pid, url: endpoint?.url, logFile: layout.agentLogFile };
}
