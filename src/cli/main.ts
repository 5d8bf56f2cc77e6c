import { Command, CommanderError } from '@commander-js/extra-typings';
import { createRequire } from 'node:module';
import { MariadbTdxError } from '../errors.js';
import { agentCommand } from './commands/agent.js';
import { checkCommand } from './commands/check.js';
import { downCommand } from './commands/down.js';
import { kbsCommand } from './commands/kbs.js';
import { loadCommand } from './commands/load.js';
import { provisionCommand } from './commands/provision.js';
import { guestCommand } from './commands/guest.js';
import { hostCommand } from './commands/host.js';
import { vmCommand } from './commands/vm.js';
import { quoteCommand } from './commands/quote.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';

/** Exit status of a failed run: unusable input, a failed step, or a bug. */
export const EXIT_ERROR = 2;

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Builds the command tree; each command imports its implementation only when it runs. */
export function buildProgram(): Command {
  const program = new Command('mariadb-tdx')
    .description(
      'Run MariaDB in Intel TDX Trust Domains with data protected at rest, in transit and in use, ' +
        'and prove each protection with evidence anyone can re-run.',
    )
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program.commandsGroup('Local server:');
  program.addCommand(upCommand());
  program.addCommand(downCommand());
  program.addCommand(statusCommand());
  program.addCommand(loadCommand());
  program.commandsGroup('Any server with SQL access:');
  program.addCommand(checkCommand());

  program.commandsGroup('Relying party:');
  program.addCommand(quoteCommand());

  program.commandsGroup('Keys by attestation:');
  program.addCommand(kbsCommand());
  program.addCommand(agentCommand());
  program.addCommand(simulateCommand());

  program.commandsGroup('Host (hypervisor):');
  program.addCommand(hostCommand());
  program.addCommand(vmCommand());

  program.commandsGroup('Guest (inside a VM):');
  program.addCommand(guestCommand());
  program.addCommand(provisionCommand());

  overrideExits(program);
  return program;
}

// Commander exits the process on errors unless told otherwise, in every nested command too.
function overrideExits(command: Command) {
  for (const child of command.commands) {
    child.exitOverride();
    overrideExits(child as Command);
  }
}

/** Runs the CLI and returns the exit status instead of exiting, so tests can call it. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version output end with a CommanderError whose exit code is 0.
    return error.exitCode === 0 ? 0 : EXIT_ERROR;
  }
  if (error instanceof MariadbTdxError) {
    process.stderr.write(`error: ${error.message} [${error.code}]\n`);
    if (error.hint) process.stderr.write(`  ${error.hint}\n`);
    return EXIT_ERROR;
  }

  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    'internal error: this is a bug in mariadb-tdx; please report it with the lines below\n' +
      `${stack.replaceAll(process.cwd(), '<cwd>')}\n`,
  );
  return EXIT_ERROR;
}
