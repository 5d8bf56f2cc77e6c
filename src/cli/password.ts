import { read } from 'read';
import { ConfigError } from '../errors.js';
import { readInputFile } from './files.js';

/** Environment variable that contains a database password for commands that connect. */
export const PASSWORD_ENV = 'MARIADB_TDX_PASSWORD';

/** Sources of a password for {@link resolvePassword}. */
export interface PasswordSources {
  readonly passwordFile?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output?: NodeJS.WritableStream;
}

/** A password and where it came from, so that a refused login can name the place to fix. */
export interface ResolvedPassword {
  readonly password: string;
  /**
   * The origin in words: "the password file F", "MARIADB_TDX_PASSWORD" or "the password typed
   * at the prompt".
   */
  readonly source: string;
}

/**
 * Takes a password from a file, else from MARIADB_TDX_PASSWORD, else from a prompt without echo
 * when standard input is a terminal. Passwords are never taken from the command line, where
 * other users see them in the process list.
 */
export async function resolvePassword(sources: PasswordSources, user: string): Promise<string> {
  return (await resolvePasswordWithSource(sources, user)).password;
}

/** Does what {@link resolvePassword} does and also returns where the password came from. */
export async function resolvePasswordWithSource(
  sources: PasswordSources,
  user: string,
): Promise<ResolvedPassword> {
  if (sources.passwordFile !== undefined) {
    return {
      password: await readPasswordFile(sources.passwordFile),
      source: `the password file ${sources.passwordFile}`,
    };
  }

  const fromEnv = (sources.env ?? process.env)[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, source: PASSWORD_ENV };

  const input = sources.input ?? process.stdin;
  if (!(input as { isTTY?: boolean }).isTTY) {
    throw new ConfigError('INVALID_OPTION', `no password for ${user}`, {
      hint: `pass --password-file FILE, or set ${PASSWORD_ENV}, or run from a terminal to be asked`,
    });
  }
  const output = sources.output ?? process.stderr;
  const password = await read({
    prompt: `password for ${user}: `,
    silent: true,
    replace: '',
    input,
    output,
  });
  // Silent mode swallows the Enter key as well, so end the prompt line here.
  output.write('\n');
  return { password, source: 'the password typed at the prompt' };
}

/** Reads a password file; one trailing newline is not part of the password. */
export async function readPasswordFile(path: string): Promise<string> {
  const text = await readInputFile(path, 'password file', '--password-file');
  const password = text.replace(/\r?\n$/, '');
  if (password === '') {
    throw new ConfigError('INVALID_OPTION', `password file ${path} is empty`, {
      hint: 'write the password on the first line of the file',
    });
  }
  return password;
}
