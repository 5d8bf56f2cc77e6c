import { Command } from '@commander-js/extra-typings';
import { printJson, println } from '../output.js';
import { resolveVmRoot, VM_DIR_HELP } from '../vm-options.js';

export function vmRmCommand() {
  return new Command('rm')
    .description(
      'power a VM off, remove its libvirt definition and delete its overlay, seed and secrets',
    )
    .argument('<name>', 'VM name')
    .option('--vm-dir <path>', VM_DIR_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (name, options) => {
      const { removeVm } = await import('../../vm/lifecycle.js');
      const result = await removeVm(await resolveVmRoot(options.vmDir), name);
      if (options.json) {
        printJson(result);
        return;
      }
      // libvirt undefines a domain, while a QEMU process simply ends.
      const stopped =
        result.backend === 'libvirt' ? 'stopped and undefined' : 'stopped and removed';
      println(`removed ${result.name}: ${result.domain} ${stopped}, ${result.removedDir} deleted`);
      for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    });
}
