import { Argument, Command, Option } from '@commander-js/extra-typings';
import type { KeySetInfo } from '../../kbs/store/key-store.js';
import { renderPairs, renderTable } from '../../report/table.js';
import { createStyle } from '../../report/style.js';
import { parseInteger } from '../options.js';
import { printJson, println } from '../output.js';

const BROKER_DIR_HELP = 'broker directory (env MARIADB_TDX_KBS_DIR)';
const defaultBrokerDir = () => process.env.MARIADB_TDX_KBS_DIR || '.mariadb-tdx-kbs';

export function kbsCommand() {
  const kbs = new Command('kbs').description(
    'key broker: releases database keys only to TDs whose quote verifies and meets the policy',
  );
  kbs.addCommand(initCommand());
  kbs.addCommand(serveCommand());
  kbs.addCommand(keysCommand());
  return kbs;
}

function collect(value: string, previous: string[] = []) {
  return [...previous, value];
}

function initCommand() {
  return new Command('init')
    .description('create a broker directory: master key, CA and server certificate, key store')
    .option('--dir <path>', BROKER_DIR_HELP, defaultBrokerDir())
    .option('--listen <host:port>', 'address to serve on (default 127.0.0.1:8443, loopback only)')
    .option(
      '--server-name <name>',
      'DNS name or IP address for the certificate (repeatable; required when --listen is 0.0.0.0 or [::])',
      collect,
    )
    .option('--policy <file>', 'appraisal policy (JSON or YAML, as for quote verify --policy)')
    .option('--collateral <path>', 'collateral file or cache directory for quote verification')
    .option('--keyset <name>', 'also create a key set with fresh keys 1 and 2')
    .option('--json', 'print the result as JSON')
    .action(async (options) => {
      const { initBroker } = await import('../../kbs/broker/init.js');
      const result = await initBroker({
        dir: options.dir,
        listen: options.listen,
        serverNames: options.serverName,
        policyPath: options.policy,
        collateral: options.collateral,
        keyset: options.keyset,
      });
      for (const warning of result.warnings) process.stderr.write(`WARNING: ${warning}\n`);
      if (options.json) return printJson(result);
      println(createStyle().ok(`created key broker directory ${result.dir}`));
      println(
        renderPairs([
          ['listen', result.listen],
          ['certificate names', result.serverNames.join(', ')],
          ['CA certificate', `${result.caCert} (give it to agents as --kbs-ca)`],
          ['CA SHA-256', result.caFingerprint256],
          ['policy', result.policy ?? 'none yet: kbs serve needs --policy'],
          ['key set', result.keyset ?? 'none yet: create one with kbs keys create'],
        ]),
      );
    });
}

function serveCommand() {
  return new Command('serve')
    .description('serve the KBS protocol over HTTPS until interrupted')
    .option('--dir <path>', BROKER_DIR_HELP, defaultBrokerDir())
    .option('--listen <host:port>', 'address to serve on (default: the one in kbs.json)')
    .option('--policy <file>', 'appraisal policy (default: the one in the broker directory)')
    .option('--collateral <path>', 'collateral file or cache directory (repeatable)', collect)
    .option(
      '--trust-simulated-root <file>',
      'also accept quotes that chain to this SIMULATED test root (never in production)',
    )
    .option('--nonce-ttl <seconds>', 'how long a nonce may be answered', parseInteger(1, 3600), 60)
    .addOption(
      new Option('--log-level <level>', 'service log level')
        .choices(['debug', 'info', 'warn', 'error'] as const)
        .default('info' as const),
    )
    .action(async (options) => {
      const { serveBroker } = await import('../../kbs/broker/run.js');
      const broker = await serveBroker({
        dir: options.dir,
        listen: options.listen,
        policyPath: options.policy,
        collateral: options.collateral,
        simulatedRoot: options.trustSimulatedRoot,
        nonceTtlMs: options.nonceTtl * 1000,
        logLevel: options.logLevel,
      });
      const { exposureWarning } = await import('../../kbs/broker/config.js');
      const exposure = exposureWarning({ host: broker.host, port: broker.port });
      if (exposure) process.stderr.write(`WARNING: ${exposure}\n`);
      if (options.trustSimulatedRoot) {
        process.stderr.write(
          'WARNING: this broker accepts SIMULATED quotes signed by a test root; never use it in production\n',
        );
      }
      process.stderr.write(`key broker listening on ${broker.url} (Ctrl-C stops it)\n`);
      await waitForSignal();
      await broker.close();
    });
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

function keysCommand() {
  const keys = new Command('keys').description('manage the key sets of a broker directory');

  keys
    .command('list')
    .description('list key sets, key ids, versions and check values (never key bytes)')
    .option('--dir <path>', BROKER_DIR_HELP, defaultBrokerDir())
    .option('--json', 'print the result as JSON')
    .action(async (options) => {
      const { listKeys } = await import('../../kbs/store/admin.js');
      const sets = await listKeys(options.dir);
      if (options.json) printJson(sets);
      else printKeySets(sets);
    });

  keys
    .command('create')
    .description('create a key set with fresh random keys 1 and 2')
    .addArgument(new Argument('<keyset>', 'name of the key set'))
    .option('--dir <path>', BROKER_DIR_HELP, defaultBrokerDir())
    .option('--json', 'print the result as JSON')
    .action(async (keyset, options) => {
      const { createKeySet } = await import('../../kbs/store/admin.js');
      const created = await createKeySet(options.dir, keyset);
      if (options.json) printJson(created);
      else printKeySets([created]);
    });

  keys
    .command('rotate')
    .description('add a new version of a key; earlier versions stay, so old pages stay readable')
    .addArgument(new Argument('<keyset>', 'name of the key set'))
    .addArgument(new Argument('<id>', 'key id').argParser(parseInteger(1, 0xffffffff)))
    .option('--dir <path>', BROKER_DIR_HELP, defaultBrokerDir())
    .option('--json', 'print the result as JSON')
    .action(async (keyset, id, options) => {
      const { rotateKey } = await import('../../kbs/store/admin.js');
      const version = await rotateKey(options.dir, keyset, id);
      if (options.json) return printJson({ keyset, id, ...version });
      println(`${keyset}/${id}: added version ${version.version} (check value ${version.kcv})`);
    });

  keys
    .command('import')
    .description(
      'import the keys of a file_key_management key file as new versions (the file is left as it is)',
    )
    .addArgument(new Argument('<keyset>', 'name of the key set (created when missing)'))
    .addArgument(new Argument('<keyfile>', 'key file with "<id>;<hex>" lines'))
    .option('--dir <path>', BROKER_DIR_HELP, defaultBrokerDir())
    .option('--json', 'print the result as JSON')
    .action(async (keyset, keyfile, options) => {
      const { importKeyFile } = await import('../../kbs/store/admin.js');
      const imported = await importKeyFile(options.dir, keyset, keyfile);
      const notice =
        `${keyfile} is unchanged and still holds the keys in clear; once the database gets ` +
        'its keys from the broker, delete it (for example with shred -u) and its backups';
      if (options.json) {
        return printJson({ keyset, imported, keyFile: { path: keyfile, deleted: false }, notice });
      }
      for (const key of imported) {
        println(`${keyset}/${key.id}: imported as version ${key.version} (check value ${key.kcv})`);
      }
      println(createStyle().warn(`note: ${notice}`));
    });
  return keys;
}

function printKeySets(sets: readonly KeySetInfo[]) {
  if (sets.length === 0) {
    println('no key sets; create one with: mariadb-tdx kbs keys create NAME');
    return;
  }
  const rows = sets.flatMap((set) =>
    set.keys.flatMap((key) =>
      key.versions.map((version) => [
        set.keyset,
        String(key.id),
        String(version.version),
        version.kcv,
        version.createdAt,
      ]),
    ),
  );
  println(renderTable(['key set', 'id', 'version', 'check value', 'created'], rows));
}
