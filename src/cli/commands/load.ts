import { Argument, Command } from '@commander-js/extra-typings';
import { SingleBar, Presets } from 'cli-progress';
import {
  DEFAULT_BANKING_ROWS,
  DEFAULT_BANKING_SEED,
  MAX_BANKING_ROWS,
} from '../../dataset/banking.js';
import { DIR_HELP, defaultStateDir, parseInteger } from '../options.js';
import { printJson, println } from '../output.js';

export function loadCommand() {
  return new Command('load')
    .description('load a sample data set into the local server over verified TLS')
    .addArgument(new Argument('<dataset>', 'data set to load').choices(['banking'] as const))
    .option('--dir <path>', DIR_HELP, defaultStateDir())
    .option(
      '--rows <n>',
      `generated customers besides the two fixed ones, 0 to ${MAX_BANKING_ROWS} (default ${DEFAULT_BANKING_ROWS})`,
      parseInteger(0, MAX_BANKING_ROWS),
    )
    .option(
      '--seed <n>',
      'seed of the generator; the same seed gives the same values',
      parseInteger(0, 2 ** 31 - 1),
    )
    .option('--replace', 'drop the Customers database first if it exists')
    .option(
      '--list',
      'print the sensitive values of the loaded data set, one per line, instead of loading',
    )
    .option('--json', 'print the result as JSON')
    .action(async (dataset, options) => {
      if (options.list) {
        await listValues(dataset, options);
        return;
      }
      await loadDataset(options);
    });
}

interface LoadCliOptions {
  dir: string;
  rows?: number;
  seed?: number;
  replace?: true;
  json?: true;
}

async function loadDataset(options: LoadCliOptions) {
  const [{ connectLocal }, { loadBanking }, { writeDatasetRecord }, { stateLayout }] =
    await Promise.all([
      import('../../local/client.js'),
      import('../../dataset/load.js'),
      import('../../local/datasets.js'),
      import('../../mariadb/layout.js'),
    ]);
  const rows = options.rows ?? DEFAULT_BANKING_ROWS;
  const seed = options.seed ?? DEFAULT_BANKING_SEED;
  const manifestProfile = await readProfile(options.dir);

  const bar =
    process.stderr.isTTY && !options.json
      ? new SingleBar(
          { format: '  loading banking [{bar}] {value}/{total} rows', stream: process.stderr },
          Presets.shades_classic,
        )
      : undefined;

  const connection = await connectLocal(options.dir);
  try {
    let started = false;
    const result = await loadBanking(connection, {
      rows,
      seed,
      replace: options.replace,
      encrypted: manifestProfile !== 'plain',
      onProgress: (written, total) => {
        if (!bar) return;
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(written);
      },
    });
    bar?.stop();
    await writeDatasetRecord(stateLayout(options.dir), {
      name: 'banking',
      rows,
      seed,
      loadedAt: new Date().toISOString(),
    });

    const summary = {
      database: 'Customers',
      individuals: result.individuals,
      accounts: result.accounts,
      rows,
      seed,
    };
    if (options.json) printJson(summary);
    else {
      println(
        `loaded ${result.individuals} customers and ${result.accounts} accounts into Customers ` +
          `(seed ${seed}) over verified TLS`,
      );
      println(
        `list the sensitive values with: mariadb-tdx load banking --list --dir ${options.dir}`,
      );
    }
  } finally {
    bar?.stop();
    await connection.end();
  }
}

async function readProfile(dir: string) {
  const [{ readManifest }, { stateLayout }] = await Promise.all([
    import('../../local/manifest.js'),
    import('../../mariadb/layout.js'),
  ]);
  return (await readManifest(stateLayout(dir))).profile;
}

async function listValues(_dataset: 'banking', options: LoadCliOptions) {
  const [{ generateBanking, bankingSensitiveValues }, { readDatasetRecord }, { stateLayout }] =
    await Promise.all([
      import('../../dataset/banking.js'),
      import('../../local/datasets.js'),
      import('../../mariadb/layout.js'),
    ]);

  const explicit = options.rows !== undefined || options.seed !== undefined;
  const record = explicit
    ? undefined
    : await readDatasetRecord(stateLayout(options.dir), 'banking');
  const rows = options.rows ?? record?.rows ?? DEFAULT_BANKING_ROWS;
  const seed = options.seed ?? record?.seed ?? DEFAULT_BANKING_SEED;
  const values = bankingSensitiveValues(generateBanking({ rows, seed }));

  if (options.json) printJson({ rows, seed, values });
  else for (const value of values) println(value.value);
}
