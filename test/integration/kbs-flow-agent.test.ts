import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBrokerKeys, restartBrokerAgent } from '../../src/kbs/local-keys.js';
import { AGENT_REFRESH_SECONDS } from '../../src/kbs/agent-spawn.js';
import { readAgentEndpoint, readAgentPid } from '../../src/local/agent-process.js';
import { connectLocal } from '../../src/local/client.js';
import { down } from '../../src/local/down.js';
import { readManifest, type BrokerKeySource } from '../../src/local/manifest.js';
import { status } from '../../src/local/status.js';
import { up } from '../../src/local/up.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import { readServerPid } from '../../src/mariadb/server.js';
import { waitForProcessExit } from '../../src/util/process.js';
import { runCli } from '../helpers/cli.js';
import { httpsRequest } from '../helpers/https.js';
import { startTestBroker, type TestBroker } from '../helpers/kbs.js';
import { mariadbAvailable } from '../helpers/mariadb.js';

const available = await mariadbAvailable();

async function selectOne(dir: string): Promise<unknown> {
  const connection = await connectLocal(dir);
  try {
    return await connection.query('SELECT 1 AS one');
  } finally {
    await connection.end();
  }
}

describe.skipIf(!available)('the agent of up --kbs', () => {
  let parent: string;
  let test: TestBroker;
  const dirs: string[] = [];

  const source = (mode: BrokerKeySource['mode'], url = test.broker.url): BrokerKeySource => ({
    kind: 'kbs',
    url,
    caFile: join(test.dir, 'tls', 'ca.pem'),
    keyset: 'mariadb',
    mode,
    evidence: 'simulated',
    simulatedTd: test.sim.dir,
  });
  const start = (dir: string, keySource?: BrokerKeySource) => {
    if (!dirs.includes(dir)) dirs.push(dir);
    return up({
      dir,
      keySource,
      keyProvider: prepareBrokerKeys,
      keyServiceRestarter: restartBrokerAgent,
    });
  };

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'kbs-agent-'));
    test = await startTestBroker(parent);
  });
  afterAll(async () => {
    for (const dir of dirs) await down({ dir, purge: true, yes: true }).catch(() => undefined);
    await test?.close();
    await rm(parent, { recursive: true, force: true });
  });

  it('runs two servers side by side, each agent on its own free port', async () => {
    const [a, b] = [join(parent, 'a'), join(parent, 'b')];
    await start(a, source('vault'));
    await start(b, source('vault'));
    const [endpointA, endpointB] = await Promise.all(
      [a, b].map((dir) => readAgentEndpoint(stateLayout(dir))),
    );
    expect(endpointA!.port).not.toBe(endpointB!.port);
    expect([endpointA!.port, endpointB!.port]).not.toContain(8200);
    expect(await selectOne(a)).toHaveLength(1);
    expect(await selectOne(b)).toHaveLength(1);
    await down({ dir: b, purge: true, yes: true });
  });

  it('reports a dead agent and starts it again on the same endpoint', async () => {
    const dir = join(parent, 'a');
    const layout = stateLayout(dir);
    const agentPid = (await readAgentPid(layout))!;
    const before = (await readAgentEndpoint(layout))!;
    process.kill(agentPid, 'SIGKILL');
    await waitForProcessExit(agentPid, 10_000);

    const report = await status({ dir });
    expect(report.agent?.running).toBe(false);
    expect(report.problem).toContain('agent');
    expect(report.encryption?.keyStorage).toContain('NOT running');
    const cli = await runCli(['status', '--dir', dir]);
    expect(cli.status).toBe(1);
    expect(cli.stdout).toContain('problem:');

    const info = await start(dir);
    expect(info.alreadyRunning).toBe(true);
    const restarted = await readAgentPid(layout);
    expect(restarted).toBeDefined();
    expect(restarted).not.toBe(agentPid);
    expect((await readAgentEndpoint(layout))?.url).toBe(before.url);
    expect((await status({ dir })).agent?.running).toBe(true);

    // The server's URL, CA file and token reach the new agent.
    const serverPid = (await readServerPid(layout))!;
    const environment = await readFile(`/proc/${serverPid}/environ`, 'utf8');
    const token = /(?:^|\0)VAULT_TOKEN=([^\0]+)/.exec(environment)![1]!;
    const reply = await httpsRequest(new URL(`${before.url}/data/1`), {
      ca: await readFile(before.caFile, 'utf8'),
      headers: { 'x-vault-token': token },
    });
    expect(reply.status).toBe(200);

    const log = await readFile(layout.agentLogFile, 'utf8');
    expect(log).toContain('"name":"mariadb-tdx-agent"');
    expect(log).toContain('serving keys');
    expect(log).not.toContain(token);
  });

  it('removes the per-boot files from RAM on down', async () => {
    const dir = join(parent, 'a');
    const layout = stateLayout(dir);
    expect(existsSync(join(layout.ramKeysDir, 'vault-ca.pem'))).toBe(true);
    await down({ dir });
    expect(existsSync(layout.ramKeysDir)).toBe(false);
    await start(dir);
    expect(await selectOne(dir)).toHaveLength(1);
  });

  it('lets a first start that failed change its key source', async () => {
    const dir = join(parent, 'retry');
    const unreachable = `https://127.0.0.1:${await closedPort()}`;
    await expect(start(dir, source('keyfile', unreachable))).rejects.toMatchObject({
      code: 'KBS_UNREACHABLE',
    });
    expect((await readManifest(stateLayout(dir))).initialized).toBe(false);

    await start(dir, source('vault'));
    const manifest = await readManifest(stateLayout(dir));
    expect(manifest.initialized).toBe(true);
    expect(manifest.keySource).toMatchObject({ mode: 'vault', url: test.broker.url });
    expect(await selectOne(dir)).toHaveLength(1);
  });

  it('keeps the key source of an initialized directory', async () => {
    await expect(start(join(parent, 'retry'), source('keyfile'))).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });

  it('starts the agent with a refresh interval, so rotations reach MariaDB', async () => {
    const pid = await readAgentPid(stateLayout(join(parent, 'retry')));
    const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    expect(commandLine).toContain(`--refresh=${AGENT_REFRESH_SECONDS}`);
  });
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
