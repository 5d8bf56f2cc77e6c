import { Command, Option } from '@commander-js/extra-typings';
import { SingleBar, Presets } from 'cli-progress';
import type { DumpProgress } from '../../vm/backend.js';
import { printJson, println } from '../output.js';
import { withInterrupt } from '../progress.js';
import { resolveVmRoot, VM_DIR_HELP } from '../vm-options.js';

export function vmDumpCommand() {
  return new Command('dump')
    .description(
      "write a host-side dump of a VM's guest-physical memory (virsh dump --memory-only or QMP " +
        'dump-guest-memory); the guest pauses while it is written',
    )
    .argument('<name>', 'VM name')
    .requiredOption('-o, --output <file>', 'dump file to write')
    .addOption(
      new Option('--format <name>', 'elf, or a kdump-compressed format (smaller, not grep-able)')
        .choices(['elf', 'kdump-zlib', 'kdump-lzo', 'kdump-snappy'] as const)
        .default('elf' as const),
    )
    .option('--force', 'replace an existing regular file (never a device, directory or link)')
    .option('--vm-dir <path>', VM_DIR_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (name, options) => {
      const { dumpVm } = await import('../../vm/dump.js');
      const progress = createDumpProgress(options.json === true);
      try {
        const vmRoot = await resolveVmRoot(options.vmDir);
        const result = await withInterrupt((signal) =>
          dumpVm({
            vmRoot,
            name,
            output: options.output,
            format: options.format,
            force: options.force,
            onProgress: progress.update,
            signal,
            onWaitAfterAbort: () => {
              progress.stop();
              process.stderr.write(
                'interrupted: QEMU cannot cancel a dump, so this waits for it to finish and then deletes the file\n',
              );
            },
          }),
        );
        progress.stop();
        if (options.json) printJson(result);
        else {
          println(
            `wrote ${result.file}: ${(result.bytes / 1024 ** 2).toFixed(0)} MiB ${result.format} dump of ` +
              `${result.kind === 'td' ? 'TD' : 'regular VM'} ${result.vm} in ${result.seconds.toFixed(1)} s`,
          );
        }
      } finally {
        progress.stop();
      }
    });
}

function createDumpProgress(quiet: boolean) {
  let bar: SingleBar | undefined;
  return {
    update: (progress: DumpProgress) => {
      if (quiet || !process.stderr.isTTY || progress.total === 0) return;
      if (!bar) {
        bar = new SingleBar(
          { format: '  dumping [{bar}] {percentage}% of {total} MiB', stream: process.stderr },
          Presets.shades_classic,
        );
        bar.start(Math.round(progress.total / 1024 ** 2), 0);
      }
      bar.update(Math.round(progress.completed / 1024 ** 2));
    },
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}
