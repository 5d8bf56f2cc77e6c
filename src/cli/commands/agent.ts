import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { rm, writeFile } from 'node:fs/promises';
import { ConfigError } from '../../errors.js';
import type { AgentOptions, AgentSummary } from '../../kbs/agent/run.js';
import { renderPairs } from '../../report/table.js';
import { createStyle } from '../../report/style.js';
import { parseInteger } from '../options.js';
import { createStepReporter, printJson, println } from '../output.js';
import { readBrokerCaCertificate } from './broker-keys.js';

/** Default RAM-backed directory of a standalone agent. */
const DEFAULT_RAM_DIR = '/dev/shm/mariadb-tdx-agent';

/** Vault's own default port, so a my.cnf written for Vault needs no change. */
const DEFAULT_VAULT_LISTEN = '127.0.0.1:8200';

function parseKeyIds(value: string): number[] {
  const ids = value.split(',').map((part) => Number(part.trim()));
  if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 1 || id > 0xffffffff)) {
    throw new InvalidArgumentError('expected key ids such as 1,2');
  }
  return ids;
}

function parseLoopback(value: string): { host: string; port: number } {
  const match = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new InvalidArgumentError(
      'expected a loopback host:port such as 127.0.0.1:8200, with a port from 0 to 65535',
    );
  }
  return { host: match[1] === '[::1]' ? '::1' : match[1]!, port };
}

export function agentCommand() {
  return new Command('agent')
    .description(
      'inside the TD: attest to the key broker and hand the released keys to MariaDB, as a key ' +
        'file on tmpfs or over a loopback Vault KV v2 endpoint',
    )
    .requiredOption('--kbs <url>', 'base URL of the key broker, such as https://kbs.example:8443')
    .requiredOption('--kbs-ca <file>', 'CA certificate of the broker (tls/ca.pem of its directory)')
    .option('--keyset <name>', 'key set to fetch', 'mariadb')
    .option('--key-ids <list>', 'key ids to fetch, comma-separated', parseKeyIds, [1, 2])
    .addOption(
      new Option('--evidence <source>', 'tdx: configfs-tsm; simulated: a SIMULATED TD for tests')
        .choices(['tdx', 'simulated'] as const)
        .default('tdx' as const),
    )
    .option('--simulated-td <dir>', 'directory made by "simulate td", with --evidence simulated')
    .addOption(
      new Option('--mode <mode>', 'keyfile: write a key file and exit; vault: serve the keys')
        .choices(['keyfile', 'vault'] as const)
        .default('vault' as const),
    )
    .option(
      '--ram-dir <dir>',
      'RAM-backed (tmpfs) directory for the key file, CA and token',
      DEFAULT_RAM_DIR,
    )
    .option(
      '--key-checks <file>',
      'check-value record of the database; released keys must match it',
    )
    .addOption(
      new Option(
        '--vault-listen <host:port>',
        'loopback address of the Vault endpoint; port 0 picks a free port',
      )
        .argParser(parseLoopback)
        .default(parseLoopback(DEFAULT_VAULT_LISTEN), DEFAULT_VAULT_LISTEN),
    )
    .option('--token-stdin', 'read the Vault token from standard input instead of generating one')
    .option(
      '--refresh <seconds>',
      'attest again at this interval to pick up rotations',
      parseInteger(10, 86_400),
    )
    .option('--pid-file <file>', 'write the agent pid here while it serves')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'do not report steps on standard error')
    .action(async (options) => {
      // With --json, a failure is printed as one JSON line by the CLI's error handler.
      await runAgent(options);
    });
}

type AgentCliOptions = ReturnType<ReturnType<typeof agentCommand>['opts']>;

async function runAgent(options: AgentCliOptions) {
  const { parseKbsUrl } = await import('../../kbs/url.js');
  parseKbsUrl(options.kbs);
  const { openEvidence } = await import('../../attest/evidence/open.js');
  const evidence = await openEvidence(options.evidence, { simulatedTd: options.simulatedTd });
  const common: AgentOptions = {
    connection: { url: options.kbs, caCert: await readBrokerCaCertificate(options.kbsCa) },
    keyset: options.keyset,
    keyIds: options.keyIds,
    evidence,
    ramDir: options.ramDir,
    keyChecksFile: options.keyChecks,
    onStep: createStepReporter(options.quiet === true || options.json === true),
  };

  if (options.mode === 'keyfile') {
    const { deliverKeyFile } = await import('../../kbs/agent/run.js');
    const delivery = await deliverKeyFile(common);
    if (options.json)
      return printJson({ ...delivery, simulated: delivery.evidence === 'simulated' });
    printSummary(delivery, [['key file', `${delivery.keyFile} (RAM-backed, mode 0600)`]]);
    return;
  }
  await serveUntilSignal(options, common);
}

async function serveUntilSignal(options: AgentCliOptions, common: AgentOptions) {
  const { serveVault } = await import('../../kbs/agent/run.js');
  const { createServiceLogger } = await import('../../kbs/broker/logging.js');
  const logger = createServiceLogger(undefined, 'info', 'mariadb-tdx-agent');
  const token = options.tokenStdin ? await readToken() : undefined;
  const agent = await serveVault({
    ...common,
    host: options.vaultListen.host,
    port: options.vaultListen.port,
    token,
    logger,
  });
  if (options.pidFile) await writeFile(options.pidFile, `${process.pid}\n`, { mode: 0o644 });
  logger.info(
    {
      url: agent.url,
      keyset: agent.keyset,
      evidence: agent.evidence,
      keys: agent.keys,
      refreshSeconds: options.refresh,
    },
    'serving keys',
  );

  if (options.json) {
    printJsonLine({
      mode: agent.mode,
      url: agent.url,
      caFile: agent.caFile,
      tokenFile: agent.tokenFile,
      keyset: agent.keyset,
      evidence: agent.evidence,
      simulated: agent.evidence === 'simulated',
      keys: agent.keys,
      newVersions: agent.newVersions,
      claims: agent.claims,
      pid: process.pid,
    });
  } else {
    printSummary(agent, [
      ['vault_url', agent.url],
      ['vault_ca', agent.caFile],
      [
        'token',
        agent.tokenFile
          ? `${agent.tokenFile} (RAM-backed; pass it as VAULT_TOKEN)`
          : 'from standard input',
      ],
    ]);
  }

  const timer = options.refresh
    ? setInterval(() => {
        agent.refresh().then(
          (next) =>
            logger.info({ keys: next.keys, newVersions: next.newVersions }, 'keys refreshed'),
          (error: unknown) =>
            logger.error({ err: error }, 'refreshing keys failed; serving the previous ones'),
        );
      }, options.refresh * 1000)
    : undefined;

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  if (timer) clearInterval(timer);
  await agent.close();
  if (options.pidFile) await rm(options.pidFile, { force: true });
  logger.info('agent stopped');
}

async function readToken(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const token = Buffer.concat(chunks).toString('utf8').trim();
  if (!/^[\x21-\x7e]{16,256}$/.test(token)) {
    throw new ConfigError(
      'INVALID_OPTION',
      '--token-stdin expects a token of 16 to 256 printable characters on standard input',
    );
  }
  return token;
}

function printSummary(summary: AgentSummary, extra: [string, string][]) {
  const style = createStyle();
  if (summary.evidence === 'simulated') {
    println(style.warn('SIMULATED: the quote came from a simulated TD, not TDX hardware'));
  }
  println(style.ok(`keys of ${summary.keyset} released by the broker`));
  const versions = summary.keys.map((key) => `${key.id}: v${key.versions.join(', v')}`).join('; ');
  println(
    renderPairs([
      ['keys', versions],
      [
        'new versions',
        summary.newVersions.map((entry) => `${entry.id}: v${entry.version}`).join('; ') || 'none',
      ],
      ['TCB status', String(summary.claims.tcbStatus ?? 'unknown')],
      ['MRTD', String(summary.claims.mrtd ?? 'unknown')],
      ...extra,
    ]),
  );
}

// The vault agent's --json output is one line, so a parent process can read it as it arrives.
function printJsonLine(value: unknown) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
