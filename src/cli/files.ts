import type { ReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
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

/**
 * Reads a binary file named on the command line, or standard input for `-`. With `maxBytes`,
 * reading stops and fails with INPUT_TOO_LARGE as soon as the input grows past it, so a device
 * such as /dev/zero or an endless pipe cannot exhaust memory.
 */
export async function readInputBytes(
  path: string,
  label: string,
  options: { maxBytes?: number } = {},
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const name = path === '-' ? `${label} on standard input` : `${label} ${path}`;
  let stream: AsyncIterable<Buffer>;
  if (path === '-') {
    stream = process.stdin;
  } else {
    try {
      stream = (await open(path, 'r')).createReadStream();
    } catch (error) {
      throw unreadableFileError(error, path, label);
    }
  }

  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > maxBytes) {
        throw new ConfigError('INPUT_TOO_LARGE', `${name} is larger than ${maxBytes} bytes`, {
          hint: `a ${label} is far smaller; check that the path names the right file`,
        });
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw unreadableFileError(error, path, label);
  } finally {
    if (path !== '-') (stream as ReadStream).destroy();
  }
  return new Uint8Array(Buffer.concat(chunks));
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
