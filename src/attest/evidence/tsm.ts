import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EvidenceError } from './errors.js';
import { isErrno } from '../../util/fs.js';
import type { EvidenceProvider } from './types.js';

/** Directory of configfs-tsm report requests (Linux 6.7 and later). */
export const TSM_REPORT_DIR = '/sys/kernel/config/tsm/report';

/** The TDX provider of configfs-tsm accepts exactly 64 bytes of inblob. */
const INBLOB_SIZE = 64;
const TDX_PROVIDER = 'tdx_guest';
// A concurrent writer to the same report directory changes `generation`; retry a few times.
const MAX_ATTEMPTS = 3;

/**
 * Gets quotes through configfs-tsm inside a TD: one private report directory per request,
 * 64 bytes written to `inblob`, the quote read from `outblob`, and `generation` read before and
 * after, so a quote produced for another writer's inblob is never returned.
 */
export function tsmEvidence(baseDir = TSM_REPORT_DIR): EvidenceProvider {
  return {
    kind: 'tdx',
    description: `TDX quote through configfs-tsm (${baseDir})`,
    quote: (reportData) => tsmQuote(baseDir, reportData),
  };
}

async function tsmQuote(baseDir: string, reportData: Buffer): Promise<Buffer> {
  if (reportData.length !== INBLOB_SIZE) {
    throw new EvidenceError(
      'TSM_REPORT_FAILED',
      `REPORTDATA is ${reportData.length} bytes; configfs-tsm needs exactly ${INBLOB_SIZE}`,
    );
  }

  const entry = join(baseDir, `mariadb-tdx-${process.pid}-${randomBytes(4).toString('hex')}`);
  await createReportDir(baseDir, entry);
  try {
    await checkProvider(entry);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const quote = await generateOnce(entry, reportData);
      if (quote) return quote;
    }
    throw new EvidenceError(
      'TSM_BUSY',
      `another writer changed ${entry} during each of ${MAX_ATTEMPTS} attempts`,
      { hint: 'stop other programs that write to this report directory' },
    );
  } finally {
    await rmdir(entry).catch(() => undefined);
  }
}

async function createReportDir(baseDir: string, entry: string) {
  try {
    await mkdir(entry);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new EvidenceError('TSM_UNAVAILABLE', `${baseDir} does not exist`, {
        hint:
          'run inside a TDX guest with Linux 6.7 or later and configfs mounted ' +
          '(mount -t configfs none /sys/kernel/config); elsewhere use --evidence simulated',
        cause: error,
      });
    }
    if (isErrno(error, 'EACCES') || isErrno(error, 'EPERM')) {
      throw new EvidenceError('TSM_UNAVAILABLE', `no permission to create ${entry}`, {
        hint: 'configfs-tsm report requests need root',
        cause: error,
      });
    }
    throw error;
  }
}

async function checkProvider(entry: string) {
  const provider = (await readFile(join(entry, 'provider'), 'utf8')).trim();
  if (provider !== TDX_PROVIDER) {
    throw new EvidenceError(
      'EVIDENCE_UNAVAILABLE',
      `configfs-tsm provider is ${provider || '(none)'}, not ${TDX_PROVIDER}`,
      { hint: 'this machine is not a TDX guest; the broker accepts TDX quotes only' },
    );
  }
}

/** Returns the quote, or undefined when another writer interfered and the caller should retry. */
async function generateOnce(entry: string, reportData: Buffer): Promise<Buffer | undefined> {
  const before = await readGeneration(entry);
  await writeFile(join(entry, 'inblob'), reportData);

  let quote: Buffer;
  try {
    quote = await readFile(join(entry, 'outblob'));
  } catch (error) {
    throw outblobError(entry, error);
  }

  const after = await readGeneration(entry);
  return after === before + 1 ? quote : undefined;
}

async function readGeneration(entry: string): Promise<number> {
  return Number.parseInt(await readFile(join(entry, 'generation'), 'utf8'), 10);
}

function outblobError(entry: string, error: unknown): EvidenceError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
  if (code === 'EBUSY') {
    return new EvidenceError(
      'TSM_BUSY',
      `${entry}/outblob: a previous quote request is in flight`,
      {
        hint: 'retry in a few seconds',
        cause: error,
      },
    );
  }
  const hint =
    code === 'EIO'
      ? 'the host did not produce a quote: it needs a quote generation service (QGS) for this TD'
      : code === 'ETIMEDOUT'
        ? 'the host took longer than 30 s to produce the quote; check its QGS'
        : 'see the kernel log (dmesg) of this TD';
  return new EvidenceError('TSM_REPORT_FAILED', `reading ${entry}/outblob failed with ${code}`, {
    hint,
    cause: error,
  });
}
