import { CommanderError } from '@commander-js/extra-typings';
import { MariadbTdxError } from '../errors.js';

/** Exit status of a failed run: unusable input, a failed step, or a bug. */
export const EXIT_ERROR = 2;

/** Exit status after Ctrl-C, as shells report a process ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;

/** An error reduced to what a user needs: a stable code, a message and what to do. */
interface ErrorReport {
  readonly code: string;
  readonly message: string;
  readonly hint?: string | undefined;
}

// Plain-language names of the system errors that file and network operations commonly raise.
const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'timed out',
};

function systemErrorReport(error: NodeJS.ErrnoException): ErrorReport | undefined {
  const code = error.code;
  if (!code || !(code in ERRNO_TEXT)) return undefined;
  const target = error.path ? ` ${error.path}` : '';
  const action = error.syscall ? `${error.syscall}${target}` : `operation on${target}`;
  return {
    code,
    message: `${action} failed: ${ERRNO_TEXT[code]}`,
    hint:
      code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
        ? 'choose a directory you can write to'
        : code === 'ENOSPC' || code === 'EDQUOT'
          ? 'free some disk space and run the command again'
          : undefined,
  };
}

interface ConnectorError {
  readonly sqlMessage?: string | null;
  readonly code?: string;
  readonly errno?: number;
}

function databaseErrorReport(error: unknown): ErrorReport | undefined {
  const candidate = error as ConnectorError;
  if (!(error instanceof Error) || typeof candidate.sqlMessage !== 'string') return undefined;
  return {
    code: candidate.code ?? 'DATABASE_ERROR',
    message: `the database reported: ${candidate.sqlMessage}`,
    hint: 'another session may have changed the same objects; run the command again',
  };
}

/** A commander usage error (unknown option, invalid value, missing argument) as a report. */
function usageErrorReport(error: CommanderError): ErrorReport {
  return {
    code: 'INVALID_OPTION',
    message: error.message.replace(/^error: /, ''),
    hint: 'run the command with --help for its usage',
  };
}

/** Reduces an expected failure to a report; undefined for a bug. */
export function describeFailure(error: unknown): ErrorReport | undefined {
  if (error instanceof MariadbTdxError) {
    return { code: error.code, message: error.message, hint: error.hint };
  }
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string') {
    const report = systemErrorReport(error as NodeJS.ErrnoException);
    if (report) return report;
  }
  return databaseErrorReport(error);
}

/**
 * Prints a failure and returns the exit status: on standard error as text, or on standard
 * output as one line of JSON when the command was run with --json. A bug prints its stack with the working
 * directory replaced, so reports do not reveal local paths.
 */
export function reportError(error: unknown, json: boolean): number {
  if (error instanceof CommanderError) {
    // Help and version output end with a CommanderError whose exit code is 0. Otherwise
    // commander has printed the usage error on standard error, unless --json silenced it.
    if (error.exitCode === 0) return 0;
    if (json) process.stdout.write(`${JSON.stringify({ error: usageErrorReport(error) })}\n`);
    return EXIT_ERROR;
  }

  const report = describeFailure(error);
  const status = report?.code === 'INTERRUPTED' ? EXIT_INTERRUPTED : EXIT_ERROR;
  if (report && json) {
    // One line, so that commands printing JSON lines (agent, kbs serve) stay parseable.
    process.stdout.write(`${JSON.stringify({ error: report })}\n`);
    return status;
  }
  if (report) {
    process.stderr.write(`error: ${report.message} [${report.code}]\n`);
    if (report.hint) process.stderr.write(`  ${report.hint}\n`);
    return status;
  }

  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    'internal error: this is a bug in mariadb-tdx; please report it with the lines below\n' +
      `${stack.replaceAll(process.cwd(), '<cwd>')}\n`,
  );
  return EXIT_ERROR;
}

const PASSWORD_ARGUMENT = /^--?(password|pass|pwd)(=|$)/i;

/**
 * Rejects a password given on the command line before any parser can echo it back in an
 * "unknown option" message. Other users can read command lines in /proc.
 */
export function rejectPasswordArguments(argv: readonly string[]) {
  const found = argv.find((arg) => PASSWORD_ARGUMENT.test(arg));
  if (!found) return;
  const name = found.split('=')[0];
  throw new CommandLineSecretError(
    `${name} is not accepted: passwords never go on the command line, where other users can read them`,
  );
}

class CommandLineSecretError extends MariadbTdxError {
  constructor(message: string) {
    super('PASSWORD_ON_COMMAND_LINE', message, {
      hint: 'use --password-file FILE or the MARIADB_TDX_PASSWORD environment variable',
    });
  }
}
