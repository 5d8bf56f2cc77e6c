import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { isErrno } from '../util/fs.js';

/**
 * Reads a text file named on the command line. `label` names the file in messages ("CA file")
 * and `option` is the option to correct ("--ca").
 */
export async function readInputFile(path: string, label: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw unreadableFileError(error, path, label, option);
  }
}

/** Reads a binary file named on the command line, or standard input for `-`. */
export async function readInputBytes(path: string, label: string): Promise<Uint8Array> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  }
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw unreadableFileError(error, path, label);
  }
}

/** Says why a file named on the command line could not be read, and what to do about it. */
export function unreadableFileError(
  error: unknown,
  path: string,
  label: string,
  option?: string,
): ConfigError {
  const checkPath = option === undefined ? 'check the path' : `check ${option}`;
  if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) {
    return new ConfigError('FILE_NOT_FOUND', `${label} ${path} does not exist`, {
      hint: checkPath,
      cause: error,
    });
  }
  if (isErrno(error, 'EISDIR')) {
    return new ConfigError('FILE_UNREADABLE', `${label} ${path} is a directory, not a file`, {
      hint: `${checkPath}: it must name the file itself`,
      cause: error,
    });
  }
  if (isErrno(error, 'EACCES') || isErrno(error, 'EPERM')) {
    return new ConfigError('FILE_UNREADABLE', `cannot read ${label} ${path}: permission denied`, {
      hint: 'let this user read the file (ls -l shows its owner and mode), or run as its owner',
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new ConfigError('FILE_UNREADABLE', `cannot read ${label} ${path}: ${reason}`, {
    hint: checkPath,
    cause: error,
  });
}
