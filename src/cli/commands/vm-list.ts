import { Command } from '@commander-js/extra-typings';
import type { InvalidVmEntry, VmListEntry } from '../../vm/lifecycle.js';
import { renderTable } from '../../report/table.js';
import { printJson, println } from '../output.js';
import { resolveVmRoot, VM_DIR_HELP } from '../vm-options.js';

export function vmListCommand() {
  return new Command('list')
    .description('list the VMs with kind, state, forwarded ports and vsock CID')
    .option('--vm-dir <path>', VM_DIR_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (options) => {
      const { listVms } = await import('../../vm/lifecycle.js');
      const entries = await listVms(await resolveVmRoot(options.vmDir));
      if (options.json) printJson(entries);
      else printList(entries);
    });
}

function printList(entries: (VmListEntry | InvalidVmEntry)[]) {
  if (entries.length === 0) {
    println('no VMs (create one with: mariadb-tdx vm create --regular|--tdx --image BASE.qcow2)');
    return;
  }
  println(
    renderTable(
      ['name', 'kind', 'state', 'ssh', 'MariaDB', 'vsock CID', 'backend', 'TD policy'],
      entries.map((entry) =>
        entry.state === 'invalid'
          ? [entry.name, '-', `invalid: ${entry.error}; ${entry.hint}`, '-', '-', '-', '-', '-']
          : [
              entry.name,
              entry.kind === 'td' ? 'TD' : 'regular',
              entry.error
                ? `unknown: ${entry.error}`
                : entry.state +
                  (entry.guestReady
                    ? ''
                    : ` (not ready; check with: mariadb-tdx vm wait ${entry.name})`),
              `127.0.0.1:${entry.sshPort}`,
              `127.0.0.1:${entry.mariadbPort}`,
              entry.vsockCid === undefined ? '-' : String(entry.vsockCid),
              `${entry.backend} (${entry.accel})`,
              entry.tdPolicy ?? '-',
            ],
      ),
    ),
  );
}
