import { Command } from '@commander-js/extra-typings';
import { vmCreateCommand } from './vm-create.js';
import { vmDumpCommand } from './vm-dump.js';
import { vmListCommand } from './vm-list.js';
import { vmRmCommand } from './vm-rm.js';
import { vmWaitCommand } from './vm-wait.js';

export function vmCommand() {
  return new Command('vm')
    .description('TDs and regular VMs with MariaDB, through libvirt or QEMU directly')
    .addCommand(vmCreateCommand())
    .addCommand(vmListCommand())
    .addCommand(vmDumpCommand())
    .addCommand(vmWaitCommand())
    .addCommand(vmRmCommand());
}
