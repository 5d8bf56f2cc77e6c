import { Command } from '@commander-js/extra-typings';
import { parseInteger } from '../options.js';
import { createStepReporter, printJson, println } from '../output.js';
import { withInterrupt } from '../progress.js';
import { resolveVmRoot, VM_DIR_HELP } from '../vm-options.js';

export function vmWaitCommand() {
  return new Command('wait')
    .description(
      'wait until a VM reports MariaDB ready on its console, check TLS and record it; for a VM ' +
        'whose vm create returned early (--no-wait, --timeout, Ctrl-C)',
    )
    .argument('<name>', 'VM name')
    .option(
      '--timeout <seconds>',
      'how long to wait for the guest',
      parseInteger(0, 24 * 3600),
      900,
    )
    .option('--vm-dir <path>', VM_DIR_HELP)
    .option('--json', 'print the VM record as JSON')
    .option('-q, --quiet', 'do not report steps on standard error')
    .action(async (name, options) => {
      const { waitForVm } = await import('../../vm/lifecycle.js');
      const vmRoot = await resolveVmRoot(options.vmDir);
      const step = createStepReporter(options.quiet === true || options.json === true);
      const record = await withInterrupt((signal) =>
        waitForVm(vmRoot, name, {
          timeoutMs: options.timeout * 1000,
          onStage: (stage) => step(`guest: ${stage}`),
          signal,
        }),
      );
      if (options.json) printJson(record);
      else println(`${record.name}: MariaDB ${record.guest?.mariadbVersion ?? ''} is ready`);
    });
}
