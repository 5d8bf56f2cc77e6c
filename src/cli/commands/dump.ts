import { Command } from '@commander-js/extra-typings';
import { SingleBar } from 'cli-progress';
import { parseInteger } from '../options.js';
import { printJson, println } from '../output.js';

export function dumpCommand() {
  return new Command('dump')
    .description(
      'write the memory of a live process as an ELF core file that readelf, gdb and scan read',
    )
    .requiredOption('--pid <pid>', 'process to dump', parseInteger(1, 2 ** 22))
    .requiredOption('-o, --output <file>', 'core file to create (mode 0600)')
    .option('--force', 'replace the output file if it exists')
    .option('--freeze', 'stop the process (SIGSTOP) while copying, for a consistent image')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'no progress bar')
    .action(async (options) => {
      const [{ dumpProcess }, { formatBytes }] = await Promise.all([
        import('../../scan/dump/dump.js'),
        import('../../scan/format.js'),
      ]);
      const bar =
        process.stderr.isTTY && !options.quiet && !options.json
          ? new SingleBar({ format: '  dumping [{bar}] {percentage}%', stream: process.stderr })
          : undefined;
      let started = false;
      try {
        const result = await dumpProcess({
          pid: options.pid,
          output: options.output,
          force: options.force,
          freeze: options.freeze,
          onProgress: (copied, total) => {
            if (!bar) return;
            if (!started) bar.start(Math.max(1, total), 0);
            started = true;
            bar.update(copied);
          },
        });
        bar?.stop();
        if (options.json) {
          printJson(result);
          return;
        }
        println(
          `wrote ${result.output}: ${formatBytes(result.memoryBytes)} of memory in ${result.segments} mappings, ` +
            `${result.threads} threads, in ${result.seconds.toFixed(2)} s`,
        );
        for (const region of result.unreadable)
          println(
            `  not readable: ${region.name} at ${region.address} (${region.reason}); zeros in the core`,
          );
        println(
          `read it with: readelf -l ${result.output}   or   mariadb-tdx scan ${result.output} --values FILE`,
        );
      } finally {
        if (started) bar?.stop();
      }
    });
}
