import type { HostProbe } from '../host.js';
import {
  isOn,
  listNames,
  missingVariable,
  nameValueMap,
  switchCheck,
  variableCheck,
} from '../rules.js';
import type { PostureCheck, Verdict } from '../types.js';

export const filekeyHidden = variableCheck({
  id: 'K01',
  group: 'keys and memory',
  title: 'the key file passphrase is not shown in clear',
  severity: 'critical',
  variables: ['file_key_management_filekey'],
  expected: "file_key_management_filekey empty or 'FILE:/path'",
  advice:
    'write the passphrase to a file readable only by the server user and set ' +
    'file_key_management_filekey=FILE:/path/to/that/file under [mariadbd]',
  risk:
    'anyone who can run SHOW VARIABLES reads the passphrase, and with the encrypted key file ' +
    'every key',
  baseline: 'open',
  // The value is never copied into the finding: only its form and length are reported.
  judge: (values) => {
    const value = values.get('file_key_management_filekey') ?? '';
    if (value === '') return { status: 'pass', observed: 'no passphrase (key file not encrypted)' };
    if (value.startsWith('FILE:')) return { status: 'pass', observed: `read from ${value}` };
    return {
      status: 'fail',
      observed: `the passphrase itself (${value.length} characters) is the variable's value`,
    };
  },
});

// Group-readable key files are common (root:mysql 0640), so group access warns, and so does a
// file that is gone. Access for other users fails.
async function judgeKeyFiles(files: readonly string[], host: HostProbe): Promise<Verdict> {
  const modes = await Promise.all(files.map(async (file) => [file, await host.fileMode(file)]));
  const described = modes.map(([file, mode]) =>
    mode === undefined ? `${file} missing` : `${file} mode ${mode.toString(8).padStart(4, '0')}`,
  );
  const others = modes.some(([, mode]) => typeof mode === 'number' && (mode & 0o007) !== 0);
  const group = modes.some(([, mode]) => typeof mode === 'number' && (mode & 0o070) !== 0);
  const missing = modes.some(([, mode]) => mode === undefined);
  const observed = listNames(described);
  if (others) return { status: 'fail', observed };
  if (group || missing) return { status: 'warn', observed };
  return { status: 'pass', observed };
}

export const keyFilePermissions: PostureCheck = {
  id: 'K02',
  group: 'keys and memory',
  title: 'key files are readable only by their owner',
  severity: 'high',
  sql:
    'SHOW GLOBAL VARIABLES WHERE Variable_name IN ' +
    "('file_key_management_filename', 'file_key_management_filekey')",
  expected: 'mode 0600 (or 0400) on the key file and the passphrase file',
  advice: 'chmod 600 on each file listed, owned by the user mariadbd runs as',
  risk: 'any local user who can read the key file decrypts every table, log and backup',
  baseline: 'open',
  evaluate: (rows, context) => {
    const values = nameValueMap(rows);
    const keyFile = values.get('file_key_management_filename');
    if (keyFile === undefined) return missingVariable('file_key_management_filename');
    if (!context.host) {
      return {
        status: 'not_applicable',
        observed: 'file permissions are visible only on the server host',
      };
    }
    const filekey = values.get('file_key_management_filekey') ?? '';
    const files = [keyFile, ...(filekey.startsWith('FILE:') ? [filekey.slice(5)] : [])];
    return judgeKeyFiles(files, context.host);
  },
};

export const keySource: PostureCheck = {
  id: 'K03',
  group: 'keys and memory',
  title: 'keys are not stored in clear beside the data',
  severity: 'medium',
  // The filekey is compared on the server so that its value never reaches this process.
  sql:
    "SELECT p.PLUGIN_NAME, IFNULL(v.VARIABLE_VALUE, '') <> '' AS HAS_FILEKEY " +
    'FROM information_schema.PLUGINS p LEFT JOIN information_schema.GLOBAL_VARIABLES v ' +
    "ON v.VARIABLE_NAME = 'FILE_KEY_MANAGEMENT_FILEKEY' " +
    "WHERE p.PLUGIN_TYPE = 'ENCRYPTION' AND p.PLUGIN_STATUS = 'ACTIVE'",
  expected: 'a key server plugin, or file_key_management with an encrypted key file',
  advice:
    'encrypt the key file (openssl enc -aes-256-cbc -md sha1) and set ' +
    'file_key_management_filekey=FILE:/path, or take keys from a key server ' +
    '(hashicorp_key_management)',
  risk: 'whoever copies the disk gets the keys together with the data they protect',
  policy:
    'a key file in clear is the usual development setup and is safe only where the disk itself ' +
    'is protected, which SQL cannot tell, so this check warns',
  baseline: 'open',
  evaluate: (rows) => {
    const plugin = rows[0];
    if (!plugin) return { status: 'not_applicable', observed: 'no active encryption plugin' };
    const name = String(plugin.PLUGIN_NAME);
    if (name !== 'file_key_management') {
      return { status: 'pass', observed: `keys from ${name}` };
    }
    return isOn(String(plugin.HAS_FILEKEY))
      ? { status: 'pass', observed: 'file_key_management with an encrypted key file' }
      : { status: 'warn', observed: 'file_key_management with the key file in clear' };
  },
};

export const coreFiles = switchCheck({
  id: 'K04',
  group: 'keys and memory',
  title: 'the server writes no core dumps',
  severity: 'high',
  variable: 'core_file',
  want: 'OFF',
  expected: 'core_file=OFF',
  advice: 'remove core_file (core-file) from the server options and restart',
  risk: 'a crash writes the buffer pool, decrypted pages and the keys to disk in clear',
  baseline: 'open',
});

/** Judges swap exposure when memory is not locked. */
async function judgeSwap(host: HostProbe | undefined): Promise<Verdict> {
  if (!host) {
    return {
      status: 'warn',
      observed: 'memory not locked; swap of a remote host is not visible over SQL',
    };
  }
  const swaps = await host.swapAreas();
  if (swaps.length === 0) {
    return { status: 'pass', observed: 'memory not locked; no swap active on this host' };
  }

  const plain: string[] = [];
  for (const swap of swaps) {
    if (!(await host.isOnEncryptedDevice(swap.path))) plain.push(swap.path);
  }
  return plain.length === 0
    ? { status: 'pass', observed: 'memory not locked; swap only on dm-crypt devices' }
    : { status: 'fail', observed: `memory not locked; swap in clear: ${listNames(plain)}` };
}

export const memoryLocking = variableCheck({
  id: 'K05',
  group: 'keys and memory',
  title: 'server memory cannot be swapped out in clear',
  severity: 'medium',
  variables: ['locked_in_memory'],
  expected: 'locked_in_memory=ON, or no swap, or swap on dm-crypt',
  advice: 'memlock under [mariadbd] (needs CAP_IPC_LOCK or root), or disable swap, or encrypt it',
  risk: 'swapped pages of the buffer pool and the keys land on disk in clear',
  baseline: 'open',
  judge: (values, context) =>
    isOn(values.get('locked_in_memory'))
      ? { status: 'pass', observed: 'locked_in_memory=ON' }
      : judgeSwap(context.host),
});

export const KEY_CHECKS: readonly PostureCheck[] = [
  filekeyHidden,
  keyFilePermissions,
  keySource,
  coreFiles,
  memoryLocking,
];
