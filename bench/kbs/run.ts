// Key broker under load: N concurrent attest-and-fetch flows (auth, a SIMULATED quote, attest,
// keys 1 and 2 as JWEs) against one broker on 127.0.0.1, compared with one bare quote
// verification measured in the same run. The broker runs as `mariadb-tdx kbs serve` in its own
// process; the flows run in this one.
//
//   npm run build && npx tsx bench/kbs/run.ts [--flows 200] [--rounds 3] [--timeout 120]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { simulatedEvidence } from '../../src/attest/evidence/simulated/provider.js';
import { createSimulatedTd } from '../../src/attest/evidence/simulated/td.js';
import { loadCollateral } from '../../src/attest/collateral/load.js';
import { verifyQuote } from '../../src/attest/verify/verify.js';
import { obtainKeys } from '../../src/kbs/agent/obtain.js';
import { initBroker } from '../../src/kbs/broker/init.js';

const { values: args } = parseArgs({
  options: {
    flows: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    timeout: { type: 'string', default: '120' },
  },
});
const FLOWS = Number(args.flows);
const ROUNDS = Number(args.rounds);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const VERIFY_SAMPLES = 300;
const CLI = join(import.meta.dirname, '..', '..', 'bin', 'mariadb-tdx.js');

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function startBrokerProcess(
  dir: string,
  rootCa: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [CLI, 'kbs', 'serve', '--dir', dir, '--trust-simulated-root', rootCa, '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const lines = createInterface({ input: child.stderr! });
  for await (const line of lines) {
    const match = /listening on (https:\S+)/.exec(line);
    if (match) return { child, url: match[1]! };
  }
  throw new Error('the broker exited before it listened');
}

async function measureVerification(sim: { dir: string; collateral: string; rootCa: string }) {
  const quote = await (await simulatedEvidence(sim.dir)).quote(Buffer.alloc(64));
  const collateral = await loadCollateral([sim.collateral]);
  const trustedRoots = [await readFile(sim.rootCa, 'utf8')];
  const times: number[] = [];
  for (let i = 0; i < VERIFY_SAMPLES; i++) {
    const started = performance.now();
    const result = verifyQuote(quote, collateral, { trustedRoots });
    times.push(performance.now() - started);
    if (!result.ok) throw new Error(`verification failed: ${result.failure?.code}`);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

async function runRound(url: string, caCert: string, simDir: string) {
  const evidence = await simulatedEvidence(simDir);
  const latencies: number[] = [];
  const started = performance.now();
  const flows = Array.from({ length: FLOWS }, async () => {
    const flowStart = performance.now();
    const result = await obtainKeys({ connection: { url, caCert }, keyset: 'mariadb', evidence });
    if (result.keys.size !== 2) throw new Error('a flow did not receive keys 1 and 2');
    latencies.push(performance.now() - flowStart);
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`round exceeded ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.all(flows), deadline]);
  } finally {
    clearTimeout(timer);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main() {
  const parent = await mkdtemp(join(tmpdir(), 'bench-kbs-'));
  let broker: ChildProcess | undefined;
  try {
    const sim = await createSimulatedTd(join(parent, 'sim'));
    const dir = join(parent, 'broker');
    await initBroker({
      dir,
      listen: '127.0.0.1:0',
      policyPath: sim.policy,
      collateral: sim.collateral,
      keyset: 'mariadb',
    });
    const started = await startBrokerProcess(dir, sim.rootCa);
    broker = started.child;
    const caCert = await readFile(join(dir, 'tls', 'ca.pem'), 'utf8');

    const verifyP50 = await measureVerification(sim);
    console.log(`bare quote verification (p50 of ${VERIFY_SAMPLES}): ${verifyP50.toFixed(2)} ms`);
    console.log(`${FLOWS} concurrent attest-and-fetch flows (SIMULATED quotes), ${ROUNDS} rounds:`);
    console.log('round  flows/s  p50 ms  p99 ms  p50 / verification');
    for (let round = 1; round <= ROUNDS; round++) {
      const result = await runRound(started.url, caCert, sim.dir);
      const ratio = result.p50 / verifyP50;
      console.log(
        `${String(round).padStart(5)}  ${(FLOWS / result.seconds).toFixed(0).padStart(7)}  ` +
          `${result.p50.toFixed(0).padStart(6)}  ${result.p99.toFixed(0).padStart(6)}  ` +
          `${ratio.toFixed(0).padStart(18)}`,
      );
    }
  } finally {
    broker?.kill('SIGTERM');
    await rm(parent, { recursive: true, force: true });
  }
}

await main();
