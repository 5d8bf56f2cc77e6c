import { ConfigError } from '../../errors.js';
import { SERVER_ADDRESS_OPTIONS } from '../options.js';
import type { ScanCliOptions } from './scan.js';

// Options of `scan` that only mean something together with others. Each one given without its
// partner is rejected, because ignoring it would scan something other than what was asked.

function usage(message: string, hint: string): ConfigError {
  return new ConfigError('INVALID_OPTION', message, { hint });
}

/**
 * Rejects option combinations in which an option would have no effect. `given` returns true
 * for an option set on the command line, and false for one that takes its default.
 */
export function checkScanOptions(
  paths: readonly string[],
  options: ScanCliOptions,
  given: (name: string) => boolean,
) {
  if (!options.values && !options.dataset && !options.fromDb) {
    throw usage(
      'no values to search for',
      'pass --values FILE, --dataset banking or --from-db DB.TABLE:COLUMNS',
    );
  }
  if (paths.length === 0 && !options.pid) {
    throw usage('nothing to scan', 'name files, directories or dumps, or pass --pid PID');
  }
  checkServerOptions(options, given);

  if (given('format') && paths.length === 0) {
    throw usage(
      `--format ${options.format} applies to files, and no file is named`,
      'name the files to read in that format, or leave out --format',
    );
  }
  if (given('context') && options.redact) {
    throw usage(
      '--context has no effect with --redact, which leaves all context out of the report',
      'leave out one of the two',
    );
  }
  if (given('context') && options.maxOffsets === 0) {
    throw usage(
      '--context has no effect with --max-offsets 0, which lists no hits to show context for',
      'leave out --context, or list some hits with --max-offsets N',
    );
  }
}

function checkServerOptions(options: ScanCliOptions, given: (name: string) => boolean) {
  for (const [name, flag] of SERVER_ADDRESS_OPTIONS) {
    if (given(name) && !options.fromDb) {
      throw usage(
        `${flag} applies only to --from-db, which is not given`,
        'add --from-db DB.TABLE:COLUMNS, or leave out the server options',
      );
    }
    if (name !== 'host' && given(name) && !options.host) {
      throw usage(
        `${flag} applies only to a server named with --host; without it --from-db reads the local server of --dir`,
        'add --host HOST, or leave out the option',
      );
    }
  }
  const localServer = options.dataset || (options.fromDb && !options.host);
  if (given('dir') && !localServer) {
    throw usage(
      '--dir applies only to --dataset and to --from-db without --host',
      'leave out --dir, or read values from the local server with --dataset or --from-db',
    );
  }
}
