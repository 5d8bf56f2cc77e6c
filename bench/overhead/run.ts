// Throughput cost of the hardened profile: sysbench oltp_read_write against a hardened server
// and against the same server with encryption at rest and TLS off, measured in one run.
//
//   npx tsx bench/overhead/run.ts [--tables 4] [--table-size 100000] [--threads 4]
//                                 [--seconds 60] [--rounds 3]
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { connectLocal } from '../../src/local/client.js';
import { down } from '../../src/local/down.js';
import { up, type LocalServerInfo } from '../../src/local/up.js';
import { stateLayout } from '../../src/mariadb/layout.js';
import type { ProfileName } from '../../src/mariadb/profile.js';

const execFileAsync = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    tables: { type: 'string', default: '4' },
    'table-size': { type: 'string', default: '100000' },
    threads: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '3' },
  },
});

const SYSBENCH_USER = 'sbtest';
// Satisfies simple_password_check; a benchmark account on a throw-away server.
const SYSBENCH_PASSWORD = 'Bench-Only-Password-1';

interface Target {
  readonly profile: ProfileName;
  readonly info: LocalServerInfo;
  /** Directory sysbench runs in: it reads TLS files from its working directory. */
  readonly workDir: string;
}

async function startTarget(parent: string, profile: ProfileName): Promise<Target> {
  const dir = join(parent, profile);
  const info = await up({ dir, profile });
  const connection = await connectLocal(dir);
  try {
    const require = profile === 'plain' ? '' : ' REQUIRE SSL';
    await connection.query('CREATE DATABASE sbtest');
    await connection.query(
      `CREATE USER '${SYSBENCH_USER}'@'127.0.0.1' IDENTIFIED BY '${SYSBENCH_PASSWORD}'${require}`,
    );
    await connection.query(`GRANT ALL ON sbtest.* TO '${SYSBENCH_USER}'@'127.0.0.1'`);
  } finally {
    await connection.end();
  }

  // sysbench 1.0 loads cacert.pem, client-cert.pem and client-key.pem from its working directory.
  const layout = stateLayout(dir);
  const workDir = join(parent, `${profile}-sysbench`);
  await execFileAsync('mkdir', ['-p', workDir]);
  await copyFile(layout.caCert, join(workDir, 'cacert.pem'));
  await copyFile(layout.clientCert, join(workDir, 'client-cert.pem'));
  await copyFile(layout.clientKey, join(workDir, 'client-key.pem'));
  return { profile, info, workDir };
}

function sysbenchArgs(target: Target, command: string): string[] {
  return [
    'oltp_read_write',
    '--db-driver=mysql',
    '--mysql-host=127.0.0.1',
    `--mysql-port=${target.info.port}`,
    `--mysql-user=${SYSBENCH_USER}`,
    `--mysql-password=${SYSBENCH_PASSWORD}`,
    '--mysql-db=sbtest',
    `--mysql-ssl=${target.profile === 'plain' ? 'off' : 'on'}`,
    `--tables=${args.tables}`,
    `--table-size=${args['table-size']}`,
    `--threads=${args.threads}`,
    `--time=${args.seconds}`,
    '--report-interval=0',
    command,
  ];
}

async function sysbench(target: Target, command: string): Promise<string> {
  const { stdout } = await execFileAsync('sysbench', sysbenchArgs(target, command), {
    cwd: target.workDir,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function measure(target: Target): Promise<number> {
  const output = await sysbench(target, 'run');
  const match = /transactions:\s+\d+\s+\(([\d.]+) per sec/.exec(output);
  if (!match) throw new Error(`sysbench printed no transaction rate:\n${output}`);
  return Number(match[1]);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function main() {
  const parent = await mkdtemp(join(tmpdir(), 'mariadb-tdx-bench-overhead-'));
  const targets: Target[] = [];
  const cleanup = async () => {
    for (const target of targets) await down({ dir: target.info.dir }).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    for (const profile of ['hardened', 'plain'] as const) {
      targets.push(await startTarget(parent, profile));
      process.stderr.write(`prepared ${profile} server\n`);
    }
    // The hardened server has require_secure_transport and a REQUIRE SSL account, so every
    // sysbench connection to it runs over TLS or fails.
    for (const target of targets) await sysbench(target, 'prepare');

    const rates = new Map<ProfileName, number[]>(targets.map((t) => [t.profile, []]));
    const rounds = Number(args.rounds);
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so that drift on a shared machine affects both sides alike.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const rate = await measure(target);
        rates.get(target.profile)!.push(rate);
        process.stderr.write(`round ${round + 1}: ${target.profile} ${rate.toFixed(1)} tps\n`);
      }
    }

    const hardened = mean(rates.get('hardened')!);
    const plain = mean(rates.get('plain')!);
    const { stdout: version } = await execFileAsync('sysbench', ['--version']);
    console.log(
      `sysbench ${version.trim()} oltp_read_write, ${args.tables} tables x ${args['table-size']} rows, ` +
        `${args.threads} threads, ${args.seconds} s x ${rounds} rounds per profile`,
    );
    console.log(`MariaDB ${targets[0]!.info.version}`);
    console.log('profile    tps (mean)  rounds');
    for (const profile of ['hardened', 'plain'] as const) {
      const values = rates.get(profile)!;
      console.log(
        `${profile.padEnd(10)} ${mean(values).toFixed(1).padStart(10)}  ${values.map((v) => v.toFixed(1)).join(', ')}`,
      );
    }
    console.log(`ratio hardened / plain: ${(hardened / plain).toFixed(3)} (target 0.90 or better)`);
  } finally {
    await cleanup();
  }
}

await main();
