import { Command, Option } from '@commander-js/extra-typings';
import { ConfigError } from '../../errors.js';
import { DEFAULT_KEYSET, readBrokerConnection, rejectWithoutKbs } from './broker-keys.js';
import type { CreateVmResult } from '../../vm/create.js';
import { renderPairs } from '../../report/table.js';
import { createStyle } from '../../report/style.js';
import { parseInteger } from '../options.js';
import { createStepReporter, printJson, println } from '../output.js';
import { withInterrupt } from '../progress.js';
import { resolveVmRoot, VM_DIR_HELP } from '../vm-options.js';

export function vmCreateCommand() {
  return new Command('create')
    .description(
      'create and start a TD or a regular VM from a qcow2 base image, provisioned by cloud-init ' +
        'with MariaDB (hardened profile) and the banking data; waits until MariaDB answers over TLS',
    )
    .option('--tdx', 'a Trust Domain (production policy, debug off)')
    .option('--regular', 'a regular VM with the same virtual hardware, as the control')
    .requiredOption('--image <path>', 'qcow2 base image (it is never written)')
    .option('--name <name>', 'VM name (default td-N or regular-N)')
    .option('--memory <MiB>', 'guest memory in MiB', parseInteger(512, 4 * 1024 * 1024), 2048)
    .option('--cpus <n>', 'virtual CPUs', parseInteger(1, 256), 2)
    .option('--qemu', 'run QEMU directly through QMP instead of libvirt')
    .option('--connect <uri>', 'libvirt connection URI (default: virsh default)')
    .addOption(
      new Option(
        '--dialect <name>',
        'libvirt XML and QEMU dialect: upstream (libvirt 11.6+, QEMU 10.1+) or canonical (Ubuntu TDX stack)',
      )
        .choices(['upstream', 'canonical'] as const)
        .default('upstream' as const),
    )
    .addOption(
      new Option('--accel <name>', 'accelerator')
        .choices(['auto', 'kvm', 'tcg'] as const)
        .default('auto' as const),
    )
    .option('--firmware <path>', 'firmware (TDVF for a TD; default: found automatically)')
    .option(
      '--qgs <address>',
      'quote generation service: unix:/PATH or vsock:CID:PORT (default per dialect)',
    )
    .option('--kernel <path>', 'boot this kernel directly (images without a boot loader)')
    .option('--initrd <path>', 'initrd for --kernel')
    .option(
      '--cmdline <text>',
      'kernel command line for --kernel',
      'console=ttyS0 root=/dev/vda rw',
    )
    .option('--ssh-key <path>', 'public SSH key authorized in the guest (default ~/.ssh/id_*.pub)')
    .option(
      '--rows <n>',
      'generated customers of the banking data (0: none)',
      parseInteger(0, 1_000_000),
      1000,
    )
    .option(
      '--no-egress',
      'isolate the guest: nothing but its forwarded ports (needs MariaDB in the image)',
    )
    .addOption(
      new Option('--vsock <mode>', 'virtio vsock device')
        .choices(['auto', 'on', 'off'] as const)
        .default('auto' as const),
    )
    .option(
      '--kbs <url>',
      'TD only: take the database keys from this key broker by attestation, as the guest reaches it',
    )
    .option('--kbs-ca <file>', 'CA certificate of the broker (required with --kbs)')
    .option('--keyset <name>', `key set on the broker (default: ${DEFAULT_KEYSET})`)
    .addOption(
      new Option(
        '--key-delivery <mode>',
        'how the agent in the TD hands MariaDB its keys (default: vault)',
      ).choices(['vault', 'keyfile'] as const),
    )
    .option('--no-bundle', 'do not copy Node.js and mariadb-tdx into the seed (the image has them)')
    .option('--no-wait', 'return once the VM started, without waiting for MariaDB')
    .option(
      '--timeout <seconds>',
      'how long to wait for the guest',
      parseInteger(10, 24 * 3600),
      900,
    )
    .option('--dry-run', 'print the libvirt XML (or QEMU command line) and create nothing')
    .option('--vm-dir <path>', VM_DIR_HELP)
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'do not report steps on standard error')
    .action(async (options) => {
      const [{ createVm }, { readSshKeys }] = await Promise.all([
        import('../../vm/create.js'),
        import('../../vm/ssh-keys.js'),
      ]);
      if (Boolean(options.tdx) === Boolean(options.regular)) {
        throw new ConfigError('INVALID_OPTION', 'choose exactly one of --tdx and --regular');
      }
      if (options.initrd && !options.kernel) {
        throw new ConfigError('INVALID_OPTION', '--initrd needs --kernel');
      }

      const vmRoot = await resolveVmRoot(options.vmDir);
      const sshAuthorizedKeys = await readSshKeys(options.sshKey);
      const keyBroker = await readKeyBroker(options);
      const result = await withInterrupt((signal) =>
        createVm({
          kind: options.tdx ? 'td' : 'regular',
          image: options.image,
          vmRoot,
          name: options.name,
          memoryMiB: options.memory,
          cpus: options.cpus,
          backend: options.qemu ? 'qemu' : 'libvirt',
          connect: options.connect,
          dialect: options.dialect,
          accel: options.accel,
          firmware: options.firmware,
          qgs: options.qgs,
          directBoot: options.kernel
            ? { kernel: options.kernel, initrd: options.initrd, cmdline: options.cmdline }
            : undefined,
          sshAuthorizedKeys,
          datasetRows: options.rows,
          egress: options.egress,
          keyBroker,
          vsock: options.vsock,
          bundle: options.bundle,
          wait: options.wait,
          timeoutMs: options.timeout * 1000,
          dryRun: options.dryRun,
          onStep: createStepReporter(options.quiet === true || options.json === true),
          onWarning: (warning) => {
            if (!options.json) process.stderr.write(`warning: ${warning}\n`);
          },
          signal,
        }),
      );
      if (options.json) printJson(result);
      else printCreated(result);
    });
}

type VmCreateCliOptions = ReturnType<ReturnType<typeof vmCreateCommand>['opts']>;

async function readKeyBroker(options: VmCreateCliOptions) {
  if (!options.kbs) {
    rejectWithoutKbs(options);
    return undefined;
  }
  // The URL is checked here, because inside the TD a mistake shows only after a long boot.
  const { caPem } = await readBrokerConnection(options.kbs, options.kbsCa);
  return {
    url: options.kbs,
    caPem,
    keyset: options.keyset ?? DEFAULT_KEYSET,
    delivery: options.keyDelivery ?? 'vault',
  };
}

function printCreated(result: CreateVmResult) {
  const style = createStyle();
  const { record } = result;
  if (result.dryRun) {
    println(result.definition);
    println();
    println(
      style.warn(
        `dry run: nothing was created or started (${record.kind === 'td' ? 'TD' : 'regular VM'}, ${record.dialect} dialect)`,
      ),
    );
    return;
  }

  const ready = record.guest !== undefined;
  println(
    style.ok(
      `${record.name}: ${record.kind === 'td' ? 'TD' : 'regular VM'} ${ready ? 'is running with MariaDB ready' : 'started'}`,
    ),
  );
  println(
    renderPairs([
      ['domain', `${record.domain} (${record.backend}, ${record.accel})`],
      ['ssh', `ssh -p ${record.ports.ssh} root@127.0.0.1`],
      [
        'MariaDB',
        `127.0.0.1:${record.ports.mariadb} (TLS verified against ${result.layout.guestCa})`,
      ],
      ['account', `${record.adminUser}, password in ${result.layout.adminPasswordFile}`],
      ...(record.tdPolicy
        ? [['TD policy', `${record.tdPolicy} (debug off)`] as [string, string]]
        : []),
      [
        'guest says',
        record.guest
          ? record.guest.isTd
            ? 'TD (guest check passed)'
            : 'not a TD'
          : 'not ready yet',
      ],
    ]),
  );
}
