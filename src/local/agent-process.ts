import { readFile, rm } from 'node:fs/promises';
import type { StateLayout } from '../mariadb/layout.js';
import { isErrno } from '../util/fs.js';
import { isProcessRunning, readProcessCommandLine, waitForProcessExit } from '../util/process.js';

const AGENT_STOP_TIMEOUT_MS = 10_000;

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
