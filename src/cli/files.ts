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
    if (isErrno(error, 'ENOENT')) {
      throw new ConfigError('FILE_NOT_FOUND', `${label} ${path} does not exist`, {
        hint: `check ${option}`,
        cause: error,
      });
    }
    throw new ConfigError('FILE_UNREADABLE', `cannot read ${label} ${path}`, { cause: error });
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
    if (isErrno(error, 'ENOENT')) {
      throw new ConfigError('FILE_NOT_FOUND', `${label} ${path} does not exist`, { cause: error });
    }
    throw new ConfigError('FILE_UNREADABLE', `cannot read ${label} ${path}`, { cause: error });
  }
}
