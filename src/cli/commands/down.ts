import { Command } from '@commander-js/extra-typings';
import { DIR_HELP, defaultStateDir } from '../options.js';
import { createStepReporter, printJson, println } from '../output.js';

export function downCommand() {
  return new Command('down')
    .description('stop the local MariaDB server cleanly (SIGTERM, then wait for it to exit)')
    .option('--dir <path>', DIR_HELP, defaultStateDir())
    .option('--purge', 'delete the state directory afterwards, with its data and keys')
    .option('--yes', 'confirm --purge')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'do not report steps on standard error')
    .action(async (options) => {
      const { down } = await import('../../local/down.js');
      if (options.yes && !options.purge) {
        const { ConfigError } = await import('../../errors.js');
        throw new ConfigError('INVALID_OPTION', '--yes confirms --purge and means nothing alone', {
          hint: 'add --purge to delete the state directory, or drop --yes to only stop the server',
        });
      }
      const result = await down({
        dir: options.dir,
        purge: options.purge,
        yes: options.yes,
        onStep: createStepReporter(options.quiet === true || options.json === true),
      });
      if (options.json) {
        printJson(result);
        return;
      }
      println(
        result.stoppedPid === undefined
          ? `no server was running from ${result.dir}`
          : `stopped mariadbd (pid ${result.stoppedPid}) of ${result.dir}`,
      );
      if (result.purged) println(`deleted ${result.dir}`);
    });
}
