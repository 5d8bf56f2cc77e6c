import { InvalidArgumentError } from '@commander-js/extra-typings';
import { isIP } from 'node:net';
import { ConfigError, DatabaseError } from '../../errors.js';
import type { ConnectionOptions } from '../../mariadb/connection.js';
import { readInputFile } from '../files.js';
import { SERVER_ADDRESS_OPTIONS } from '../options.js';
import { resolvePasswordWithSource } from '../password.js';

/** Port of a server chosen by address when --port is not given. */
export const DEFAULT_PORT = 3306;

/** Host of a server chosen by --port, --user, --password-file or --ca without --host. */
const DEFAULT_HOST = '127.0.0.1';

/** The options of `check` that choose the server and the login. */
export interface CheckConnectionCliOptions {
  host?: string;
  port?: number;
  user?: string;
  passwordFile?: string;
  ca?: string;
  insecure?: true;
  dir: string;
}

/** The server to check, how to log in, and what to name in messages about it. */
export interface CheckTarget {
  readonly connection: ConnectionOptions;
  /** The origin of the password, for the hint of a rejected login. */
  readonly passwordSource: string;
  /** The CA that verifies the server certificate, in words, or undefined for the system's CAs. */
  readonly caDescription: string | undefined;
}

/**
 * Parses --host: a host name or an IP address, IPv6 with or without brackets. A port belongs in
 * --port, so `host:port` is rejected.
 */
export function parseHost(value: string): string {
  const trimmed = value.trim();
  const host = /^\[(.*)\]$/.exec(trimmed)?.[1] ?? trimmed;
  if (host === '') throw new InvalidArgumentError('expected a host name or IP address');
  if (/[\s/@]/.test(host)) {
    throw new InvalidArgumentError('expected a host name or IP address, such as db.example.com');
  }
  if (host.includes(':') && isIP(host) === 0) {
    throw new InvalidArgumentError('expected a host name or IP address; pass the port with --port');
  }
  return host;
}

/** Parses --only: check ids separated by commas, at least one. */
export function parseCheckIds(value: string): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (ids.length === 0) {
    throw new InvalidArgumentError('expected check ids separated by commas, for example T01,E07');
  }
  return ids;
}

/**
 * Works out which server to check. Without address options it is the local server of `up` in
 * --dir, with its admin account and CA. Any of --host, --port, --user, --password-file or --ca
 * chooses a server by address instead (127.0.0.1 without --host), which needs --user and cannot
 * be combined with an explicit --dir. `dirGiven` is true when --dir came from the command line.
 */
export async function resolveCheckTarget(
  options: CheckConnectionCliOptions,
  dirGiven: boolean,
): Promise<CheckTarget> {
  const addressOptions = SERVER_ADDRESS_OPTIONS.filter(([key]) => options[key] !== undefined).map(
    ([, flag]) => flag,
  );
  if (addressOptions.length === 0) return localTarget(options.dir, options.insecure === true);

  const listed = addressOptions.join(' and ');
  if (dirGiven) {
    throw new ConfigError('INVALID_OPTION', `--dir cannot be combined with ${listed}`, {
      hint:
        `--dir means the local server of "mariadb-tdx up", on its own port and as its admin ` +
        `account. Leave out --dir to check a server by address, or leave out ${listed}.`,
    });
  }
  if (options.user === undefined) {
    throw new ConfigError('INVALID_OPTION', `--user is required with ${listed}`, {
      hint:
        `A server checked by address (${DEFAULT_HOST} unless --host is given) needs an account. ` +
        `Pass --user NAME, or leave out ${listed} to check the local server of "mariadb-tdx up".`,
    });
  }

  // The CA file is read first, so that a wrong path is reported before a password prompt.
  const ca = options.ca === undefined ? undefined : await readCaFile(options.ca);
  const { password, source } = await resolvePasswordWithSource(
    { passwordFile: options.passwordFile },
    options.user,
  );
  return {
    connection: {
      host: options.host ?? DEFAULT_HOST,
      port: options.port ?? DEFAULT_PORT,
      user: options.user,
      password,
      ca,
      insecure: options.insecure === true,
    },
    passwordSource: source,
    caDescription: options.ca,
  };
}

async function localTarget(dir: string, insecure: boolean): Promise<CheckTarget> {
  const [{ localCheckConnection }, { stateLayout }] = await Promise.all([
    import('../../posture/check.js'),
    import('../../mariadb/layout.js'),
  ]);
  const connection = await localCheckConnection(dir);
  return {
    connection: { ...connection, insecure },
    passwordSource: `the admin password file ${stateLayout(dir).adminPasswordFile}`,
    caDescription: 'the CA of the state directory',
  };
}

async function readCaFile(path: string): Promise<string> {
  const pem = await readInputFile(path, 'CA file', '--ca');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('INVALID_OPTION', `CA file ${path} contains no PEM certificate`, {
      hint: 'pass the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)',
    });
  }
  return pem;
}

/**
 * Names the user and the origin of the password in the hint of a refused login, because the
 * connection layer cannot know whether the password came from a file, the environment or a
 * prompt. Other errors are returned unchanged.
 */
export function explainRefusedLogin(error: unknown, target: CheckTarget): unknown {
  if (!(error instanceof DatabaseError) || error.code !== 'ACCESS_DENIED') return error;
  // A locked account is rejected whatever the password, so the connection layer's hint is kept.
  if ((error.cause as { code?: unknown } | undefined)?.code === 'ER_ACCOUNT_HAS_BEEN_LOCKED') {
    return error;
  }
  return new DatabaseError('ACCESS_DENIED', error.message, {
    hint: `check the user name (${target.connection.user}) and ${target.passwordSource}`,
    cause: error.cause,
  });
}
