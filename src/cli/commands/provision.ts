import { Command } from '@commander-js/extra-typings';
import { DEFAULT_BANKING_SEED, MAX_BANKING_ROWS } from '../../dataset/banking.js';
import type { LocalServerInfo } from '../../local/up.js';
import type { ProvisionResult } from '../../vm/provision.js';
import { renderPairs } from '../../report/table.js';
import { createStyle } from '../../report/style.js';
import { parseInteger } from '../options.js';
import { createStepReporter, printJson, println } from '../output.js';
import { addBrokerKeyOptions, brokerKeySource } from './broker-keys.js';

const DEFAULT_GUEST_DIR = '/var/lib/mariadb-tdx';

export function provisionCommand() {
  const command = new Command('provision')
    .description(
      'inside a VM: configure the installed MariaDB with the hardened profile (keys, TLS and ' +
        'data directory created in the guest), optionally load the banking data, and start it ' +
        'at boot; the cloud-init seed of vm create runs this',
    )
    .option('--dir <path>', 'state directory in the guest', DEFAULT_GUEST_DIR)
    .option('--port <n>', 'TCP port MariaDB listens on', parseInteger(1, 65535), 3306)
    .option('--bind-address <addr>', 'address MariaDB listens on', '0.0.0.0')
    .option('--remote-admin <user@host>', 'administrator account for a remote host, TLS required')
    .option(
      '--remote-admin-hash-file <path>',
      "file with that account's mysql_native_password hash (the password never enters the guest)",
    )
    .option('--dataset <name>', 'sample data set to load once: banking')
    .option(
      '--rows <n>',
      'generated customers of the data set',
      parseInteger(0, MAX_BANKING_ROWS),
      1000,
    )
    .option(
      '--seed <n>',
      'generator seed of the data set',
      parseInteger(0, 2 ** 31),
      DEFAULT_BANKING_SEED,
    );
  return addBrokerKeyOptions(command)
    .option('--no-systemd', 'do not install the mariadb-tdx.service unit')
    .option('--announce <device>', 'also report progress and the result on this console device')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'do not report steps on standard error')
    .action(async (options) => {
      const [{ provision }, { parseRemoteAdmin }] = await Promise.all([
        import('../../vm/provision.js'),
        import('../../vm/provision-options.js'),
      ]);
      const remoteAdmins = await parseRemoteAdmin(options.remoteAdmin, options.remoteAdminHashFile);
      const dataset = await parseDataset(options.dataset, options.rows, options.seed);
      const keySource = await brokerKeySource(options);
      const result = await provision({
        dir: options.dir,
        port: options.port,
        bindAddress: options.bindAddress,
        remoteAdmins,
        dataset,
        systemd: options.systemd === false ? false : undefined,
        announce: options.announce,
        keySource,
        onStep: createStepReporter(options.quiet === true || options.json === true),
      });
      if (options.json) printJson(result);
      else printProvisioned(result);
    });
}

async function parseDataset(name: string | undefined, rows: number, seed: number) {
  if (name === undefined) return undefined;
  if (name !== 'banking') {
    const { DatasetError } = await import('../../errors.js');
    throw new DatasetError('DATASET_UNKNOWN', `--dataset ${name} is not a known data set`, {
      hint: 'use --dataset banking',
    });
  }
  return { rows, seed };
}

function printProvisioned(result: ProvisionResult) {
  const style = createStyle();
  const { server, guest } = result;
  if (server.simulatedEvidence) {
    println(style.warn('SIMULATED: the keys were released on evidence from a simulated TD'));
  }
  println(
    style.ok(`MariaDB ${server.version} runs with the hardened profile on port ${server.port}`),
  );
  println(
    renderPairs([
      ['state directory', server.dir],
      [
        'TD',
        guest.isTd ? 'yes (guest check passed)' : 'no: memory of this VM is readable by the host',
      ],
      ['keys', keysLine(server)],
      ['banking data', result.datasetLoaded ? 'loaded now' : 'not loaded now'],
      ['start at boot', result.systemdUnit ?? 'no systemd unit installed'],
    ]),
  );
}

function keysLine(server: LocalServerInfo): string {
  if (server.keyProtection.startsWith('key broker')) {
    return `${server.keyProtection}; no key on the guest disk`;
  }
  return `${server.keyProtection} on the guest disk, which TDX does not protect (use --kbs)`;
}
