import type { Command } from '@commander-js/extra-typings';

export const VM_DIR_HELP = 'directory of the VM records (env MARIADB_TDX_VM_DIR; default /var/lib/mariadb-tdx/vms as root)';

/** The VM directory: --vm-dir, else MARIADB_TDX_VM_DIR, else the per-user default. */
export async function resolveVmRoot(option: string | undefined): Promise<string> {
  const { defaultVmRoot } = await import('../vm/layout.js');
  return option ?? defaultVmRoot();
}

/** Adds `--vm-dir` to a command. */
export function withVmDir<T extends Command<unknown[], Record<string, unknown>>>(command: T) {
  return command.option('--vm-dir <path>', VM_DIR_HELP);
}
