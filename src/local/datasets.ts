import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import type { StateLayout } from '../mariadb/layout.js';
import { isErrno, writeFileAtomic } from '../util/fs.js';

/** Parameters of a loaded data set, recorded in the state directory so that its values can be regenerated. */
export interface DatasetRecord {
  readonly name: 'banking';
  readonly rows: number;
  readonly seed: number;
  readonly loadedAt: string;
}

function recordPath(layout: StateLayout, name: string) {
  return join(layout.root, 'datasets', `${name}.json`);
}

/** Stores the parameters of a data set loaded into the local server. */
export async function writeDatasetRecord(layout: StateLayout, record: DatasetRecord) {
  await mkdir(join(layout.root, 'datasets'), { recursive: true, mode: 0o700 });
  await writeFileAtomic(recordPath(layout, record.name), `${JSON.stringify(record, null, 2)}\n`);
}

/** Reads the parameters of a loaded data set; DATASET_UNKNOWN when none was loaded. */
export async function readDatasetRecord(
  layout: StateLayout,
  name: 'banking',
): Promise<DatasetRecord> {
  try {
    return JSON.parse(await readFile(recordPath(layout, name), 'utf8')) as DatasetRecord;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new DatasetError(
        'DATASET_UNKNOWN',
        `no ${name} data set was loaded from ${layout.root}`,
        {
          hint: `run: mariadb-tdx load ${name} --dir ${layout.root}`,
          cause: error,
        },
      );
    }
    throw error;
  }
}
