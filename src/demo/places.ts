import { basename } from 'node:path';

/** A place where plaintext can be found, a row of the demo's matrix. */
export type PlaceId =
  | 'memory'
  | 'tables'
  | 'system-undo'
  | 'redo'
  | 'temporary'
  | 'aria-log'
  | 'binlog'
  | 'logs'
  | 'metadata'
  | 'other'
  | 'wire';

/** The protection a place tests. */
export type Protection = 'at rest' | 'in transit' | 'in use';

/** A row of the matrix: what it contains and which protection it tests. */
export interface Place {
  readonly id: PlaceId;
  readonly label: string;
  readonly protection: Protection;
}

/** Rows of the matrix, in display order. */
export const PLACES: readonly Place[] = [
  { id: 'memory', label: 'memory (mariadbd process)', protection: 'in use' },
  { id: 'tables', label: 'tables (*.ibd, *.MAD, *.MAI)', protection: 'at rest' },
  {
    id: 'system-undo',
    label: 'system tablespace and undo (ibdata1, undo*)',
    protection: 'at rest',
  },
  { id: 'redo', label: 'redo log (ib_logfile*)', protection: 'at rest' },
  {
    id: 'temporary',
    label: 'temporary files (ibtmp1, tmpdir, deleted open files)',
    protection: 'at rest',
  },
  { id: 'aria-log', label: 'Aria log (aria_log.*)', protection: 'at rest' },
  { id: 'binlog', label: 'binlogs', protection: 'at rest' },
  { id: 'logs', label: 'error, general and slow logs', protection: 'at rest' },
  { id: 'metadata', label: 'table metadata (*.frm, db.opt)', protection: 'at rest' },
  { id: 'other', label: 'other files', protection: 'at rest' },
  { id: 'wire', label: 'wire (client connection)', protection: 'in transit' },
];

const TABLE_FILE = /\.(ibd|MAD|MAI|MYD|MYI|CSV|CSM|ARZ)$/;
const METADATA_FILE = /(\.(frm|par|TRG|TRN|opt))$/;

/**
 * Tells which row of the matrix a server file belongs to, from its name. `temporary` is for
 * files copied from tmpdir or from deleted open files, whatever their name.
 */
export function classifyServerFile(path: string, temporary: boolean): PlaceId {
  const name = basename(path);
  if (temporary || name.startsWith('ibtmp') || name.startsWith('#sql')) return 'temporary';
  if (name.startsWith('ib_logfile')) return 'redo';
  if (name.startsWith('ibdata') || /^undo\d+$/.test(name)) return 'system-undo';
  if (name.startsWith('aria_log')) return 'aria-log';
  if (/^binlog\.(\d+|index)$/.test(name) || /-bin\.\d+$/.test(name)) return 'binlog';
  if (name.endsWith('.log') || name.endsWith('.err')) return 'logs';
  if (TABLE_FILE.test(name)) return 'tables';
  if (METADATA_FILE.test(name)) return 'metadata';
  return 'other';
}
