import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { ENCODINGS, type Encoding } from '../../scan/needles/encodings.js';
import { DIR_HELP, collect, defaultStateDir, parseInteger } from '../options.js';
import { printJson } from '../output.js';

function parseEncodings(value: string): Encoding[] {
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !ENCODINGS.includes(name as Encoding));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown encoding ${unknown.join(', ')}; choose from ${ENCODINGS.join(', ')}`,
    );
  }
  return names as Encoding[];
}

/** Largest process id Linux hands out (PID_MAX_LIMIT on 64-bit systems). */
const MAX_PID = 2 ** 22;

export function scanCommand() {
  return new Command('scan')
    .description(
      'search files, directory trees, memory dumps (ELF, kdump) and live processes for plaintext ' +
        'copies of sensitive values; exit 1 when any value is found, 0 when none is, 2 on error',
    )
    .argument('[paths...]', 'files, block devices, directories or dumps to scan')
    .option(
      '--pid <pid>',
      'also scan the memory of a live process (repeatable)',
      (value: string, previous: number[] | undefined) => [
        ...(previous ?? []),
        parseInteger(1, MAX_PID)(value),
      ],
    )
    .addOption(
      new Option('--format <format>', 'how to read files: detect, or force one format')
        .choices(['auto', 'raw', 'elf', 'kdump'] as const)
        .default('auto' as const),
    )
    .option(
      '--values <file>',
      'values to find: one per line, or JSON as `load banking --list --json` prints; - reads standard input',
    )
    .addOption(
      new Option('--dataset <name>', 'the values that `load` wrote to the local server').choices([
        'banking',
      ] as const),
    )
    .option(
      '--from-db <spec>',
      'read values from a live server: DB.TABLE:COL1,COL2 (repeatable)',
      collect,
    )
    .option('--dir <path>', DIR_HELP, defaultStateDir())
    .option('--host <host>', 'server for --from-db (default: the local server of --dir)')
    .option('--port <n>', 'TCP port of --host', parseInteger(1, 65535), 3306)
    .option('--user <name>', 'account for --from-db with --host')
    .option('--password-file <path>', 'file holding the password of --user')
    .option('--ca <path>', 'PEM CA that issued the certificate of --host')
    .option(
      '--encodings <list>',
      `encodings to search, comma-separated (${ENCODINGS.join(', ')}; default all)`,
      parseEncodings,
    )
    .option(
      '--min-length <bytes>',
      'leave out encoded forms shorter than this many bytes, and values with no form left (default 4 bytes, at least 4)',
      parseInteger(4, 4096),
    )
    .option('--max-offsets <n>', 'hits listed per value (default 5)', parseInteger(0, 1000))
    .option(
      '--context <n>',
      'printable strings shown before and after a hit (default 2)',
      parseInteger(0, 100),
    )
    .option('--workers <n>', 'worker threads (default: one per CPU)', parseInteger(1, 256))
    .option(
      '--redact',
      'print a keyed fingerprint (HMAC-SHA256 prefix, random key per run) and the length instead of each value, and no context',
    )
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress bar')
    .action(async (paths, options, command) => {
      const { checkScanOptions, runScan } = await import('./scan-run.js');
      checkScanOptions(paths, options, (name) => command.getOptionValueSource(name) === 'cli');
      const { report, exitCode } = await runScan(paths, options);
      if (options.json) printJson(report);
      process.exitCode = exitCode;
    });
}

export type ScanCliOptions = ReturnType<ReturnType<typeof scanCommand>['opts']>;
