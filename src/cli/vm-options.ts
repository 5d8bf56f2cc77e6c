export const VM_DIR_HELP =
  'directory of the VM records (env MARIADB_TDX_VM_DIR; default /var/lib/mariadb-tdx/vms as root)';

/** Resolves the VM directory: --vm-dir, else MARIADB_TDX_VM_DIR, else the default. */
export async function resolveVmRoot(option: string | undefined): Promise<string> {
  const { defaultVmRoot } = await import('../vm/layout.js');
  return option ?? defaultVmRoot();
}
