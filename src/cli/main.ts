import { Command } from '@commander-js/extra-typings';
import { createRequire } from 'node:module';
import { agentCommand } from './commands/agent.js';
import { checkCommand } from './commands/check.js';
import { demoCommand } from './commands/demo.js';
import { downCommand } from './commands/down.js';
import { dumpCommand } from './commands/dump.js';
import { kbsCommand } from './commands/kbs.js';
import { loadCommand } from './commands/load.js';
import { provisionCommand } from './commands/provision.js';
import { guestCommand } from './commands/guest.js';
import { hostCommand } from './commands/host.js';
import { vmCommand } from './commands/vm.js';
import { leakTestCommand } from './commands/leak-test.js';
import { quoteCommand } from './commands/quote.js';
import { scanCommand } from './commands/scan.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';
import { EXIT_ERROR, rejectPasswordArguments, reportError } from './errors.js';

export { EXIT_ERROR };

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/**
 * Builds the command tree; each command imports its implementation only when it runs. With
 * `json`, commander's own error text is suppressed, because the error handler prints the
 * usage error as JSON on standard output instead.
 */
export function buildProgram(options: { json?: boolean } = {}): Command {
  const program = new Command('mariadb-tdx')
    .description(
      'Run MariaDB in Intel TDX Trust Domains with data protected at rest, in transit and in use, ' +
        'and prove each protection with evidence anyone can re-run.',
    )
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program.commandsGroup('Local server:');
  program.addCommand(demoCommand());
  program.addCommand(upCommand());
  program.addCommand(downCommand());
  program.addCommand(statusCommand());
  program.addCommand(loadCommand());
  program.commandsGroup('Any server with SQL access:');
  program.addCommand(checkCommand());

  program.commandsGroup('Relying party:');
  program.addCommand(quoteCommand());

  program.commandsGroup('Anywhere with the files:');
  program.addCommand(scanCommand());
  program.addCommand(dumpCommand());

  program.commandsGroup('Keys by attestation:');
  program.addCommand(kbsCommand());
  program.addCommand(agentCommand());
  program.addCommand(simulateCommand());

  program.commandsGroup('Host (hypervisor):');
  program.addCommand(hostCommand());
  program.addCommand(vmCommand());
  program.addCommand(leakTestCommand());

  program.commandsGroup('Guest (inside a VM):');
  program.addCommand(guestCommand());
  program.addCommand(provisionCommand());

  configureTree(program, options.json === true);
  return program;
}

// Commander exits the process on errors unless configured otherwise, and settings made on a command
// do not reach subcommands added with addCommand, so each nested command is configured too.
function configureTree(command: Command, json: boolean) {
  if (json) command.configureOutput({ writeErr: () => undefined });
  for (const child of command.commands) {
    child.exitOverride();
    configureTree(child as Command, json);
  }
}

/** Runs the CLI and returns the exit status instead of exiting, so tests can call it. */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    rejectPasswordArguments(argv);
    const program = buildProgram({ json });
    await program.parseAsync([...argv], { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    return reportError(error, json);
  }
}
