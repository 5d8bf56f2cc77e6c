import { Command } from '@commander-js/extra-typings';
import { formatBytes, formatCount } from '../../scan/format.js';
import { parseInteger } from '../options.js';
import { printJson, println } from '../output.js';
import { progressBar, withInterrupt } from '../progress.js';

export function dumpCommand() {
  return new Command('dump')
    .description(
      'write the memory of a live process as an ELF core file that readelf, gdb and scan read',
    )
    .requiredOption('--pid <pid>', 'process to dump', parseInteger(1, 2 ** 22))
    .requiredOption(
      '-o, --output <file>',
      'core file to create (mode 0600); it appears only when the dump is complete',
    )
    .option('--force', 'replace the output file if it exists (never a symbolic link)')
    .option(
      '--freeze',
      'stop the process (SIGSTOP) while copying, for a consistent image; it continues (SIGCONT) when the dump ends, fails or is interrupted',
    )
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'no progress bar')
    .action(async (options) => {
      const { dumpProcess } = await import('../../scan/dump/dump.js');
      const bar = progressBar('  dumping [{bar}] {percentage}%', !options.quiet && !options.json);
      let result;
      try {
        result = await withInterrupt((signal) =>
          dumpProcess({
            pid: options.pid,
            output: options.output,
            force: options.force,
            freeze: options.freeze,
            onProgress: (copied, total) => bar?.update(copied, total),
            signal,
          }),
        );
      } finally {
        bar?.stop();
      }
      if (options.json) {
        printJson(result);
        return;
      }
      println(
        `wrote ${result.output}: ${formatBytes(result.memoryBytes)} of memory in ${formatCount(result.segments, 'mapping')}, ` +
          `${formatCount(result.threads, 'thread')}, in ${result.seconds.toFixed(2)} s`,
      );
      for (const region of result.unreadable) {
        println(
          `  not readable: ${region.name} at ${region.address} (${region.reason}); zeros in the core`,
        );
      }
      println(
        `read it with: readelf -l ${result.output}   or   mariadb-tdx scan ${result.output} --values FILE`,
      );
    });
}
