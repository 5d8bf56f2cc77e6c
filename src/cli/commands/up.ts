import { Command, Option } from '@commander-js/extra-typings';
import type { LocalServerInfo } from '../../local/up.js';
import { renderPairs } from '../../report/table.js';
import { createStyle } from '../../report/style.js';
import { DIR_HELP, defaultStateDir, parseInteger } from '../options.js';
import { createStepReporter, printJson, println } from '../output.js';
import { addBrokerKeyOptions, brokerKeySource } from './broker-keys.js';

export function upCommand() {
  const command = new Command('up')
    .description(
      'start the local MariaDB server with the hardened profile, creating keys, TLS material and ' +
        'the data directory on first use',
    )
    .option('--dir <path>', DIR_HELP, defaultStateDir())
    .option(
      '--port <n>',
      'TCP port on 127.0.0.1 (default: a free port, then the recorded one)',
      parseInteger(1, 65535),
    )
    .option(
      '--filekey <path>',
      'file holding the passphrase that encrypts the key file (fixed when the directory is created)',
    )
    .addOption(
      new Option(
        '--profile <name>',
        'server profile of a new state directory (default: hardened; an existing one keeps its own)',
      ).choices(['hardened', 'baseline'] as const),
    );
  return addBrokerKeyOptions(command)
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'do not report steps on standard error')
    .action(async (options) => {
      const { up } = await import('../../local/up.js');
      const { prepareBrokerKeys, restartBrokerAgent } = await import('../../kbs/local-keys.js');
      // Ctrl-C stops the start cleanly: a server already spawned is stopped again.
      const controller = new AbortController();
      const interrupt = () => controller.abort();
      process.once('SIGINT', interrupt);
      const info = await up({
        signal: controller.signal,
        dir: options.dir,
        port: options.port,
        filekeyPath: options.filekey,
        profile: options.profile,
        keySource: await brokerKeySource(options),
        keyProvider: prepareBrokerKeys,
        keyServiceRestarter: restartBrokerAgent,
        onStep: createStepReporter(options.quiet === true || options.json === true),
      }).finally(() => process.removeListener('SIGINT', interrupt));
      if (options.json) printJson(info);
      else printServerInfo(info);
    });
}

function printServerInfo(info: LocalServerInfo) {
  const style = createStyle();
  const state = info.alreadyRunning ? 'was already running' : 'is running';
  if (info.simulatedEvidence) {
    println(style.warn('SIMULATED: the keys were released on evidence from a simulated TD'));
  }
  println(
    style.ok(
      `MariaDB ${info.version} (${info.profile} profile) ${state} on 127.0.0.1:${info.port}`,
    ),
  );
  println(
    renderPairs([
      ['host', info.host],
      ['port', String(info.port)],
      ['user', info.user],
      ['password', `${info.passwordFile} (mode 0600)`],
      ['CA certificate', info.caFile],
      ['keys', keysLine(info)],
      ['pid', String(info.pid)],
      ['state directory', info.dir],
    ]),
  );
  println();
  println('Connect with the server certificate verified:');
  println(`  ${info.clientCommand}`);
}

function keysLine(info: LocalServerInfo): string {
  if (info.keyProtection.startsWith('key broker')) {
    return `${info.keyProtection}; no key on persistent storage`;
  }
  return `${info.keyProtection} on local disk (development default; see status)`;
}
