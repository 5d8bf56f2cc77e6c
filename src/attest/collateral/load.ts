import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Quote } from '../abi/types.js';
import { CollateralError } from '../errors.js';
import { createCollateral, mergeCollateral, type Collateral } from '../verify/collateral.js';
import { parseJsonObject } from '../verify/json-fields.js';
import { quotePlatform } from '../verify/platform.js';
import { collateralFromBundle, isBundle } from './bundle.js';
import { cacheFileName, isCacheFileName } from './cache.js';

// Collateral files are kilobytes; anything this large is not collateral.
const MAX_FILE_SIZE = 16 * 1024 * 1024;

export interface LoadCollateralOptions {
  /**
   * The quote to be verified. In a cache directory written by `quote collateral fetch`, only the
   * file for this quote's platform is then read.
   */
  readonly quote?: Quote;
}

/**
 * Reads collateral from files and directories, in order; a later path's documents replace an
 * earlier path's documents of the same kind (see `mergeCollateral`). Each file is recognised by
 * its content: a collateral bundle (JSON), a raw PCS TCB Info or QE identity body (JSON), a CRL
 * (DER, PEM or hex) or certificates (PEM or DER).
 */
export async function loadCollateral(
  paths: readonly string[],
  options: LoadCollateralOptions = {},
): Promise<Collateral> {
  const sets: Collateral[] = [];
  for (const path of paths) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new CollateralError(
        'COLLATERAL_NOT_FOUND',
        `collateral path ${path} cannot be read: ${error.code}`,
        {
          source: path,
          cause: error,
        },
      );
    });
    if (info.isDirectory()) sets.push(await loadDirectory(path, options.quote));
    else sets.push(await loadFile(path));
  }
  return mergeCollateral(sets);
}

async function loadDirectory(directory: string, quote: Quote | undefined): Promise<Collateral> {
  const names = (await readdir(directory)).filter((name) => !name.startsWith('.')).sort();
  if (quote) {
    const platform = quotePlatform(quote);
    const cached = platform && cacheFileName(quote.header.tee, platform.fmspc, platform.caType);
    if (cached && names.includes(cached)) return loadFile(join(directory, cached));
    // A cache directory contains only per-platform bundles, so the other files cannot serve
    // the quote. The error reports its bundle as missing rather than verify against another's.
    if (names.length > 0 && names.every((name) => isCacheFileName(name))) {
      const what = platform
        ? `${quote.header.tee} FMSPC ${platform.fmspc} (${platform.caType} CA)`
        : 'the platform of this quote';
      throw new CollateralError(
        'COLLATERAL_NOT_FOUND',
        `the collateral cache ${directory} has no bundle for ${what}`,
        {
          source: directory,
          hint: 'fetch it with: mariadb-tdx quote collateral fetch --pccs URL QUOTE',
        },
      );
    }
  }
  if (names.length === 0) {
    throw new CollateralError(
      'COLLATERAL_NOT_FOUND',
      `collateral directory ${directory} is empty`,
      {
        source: directory,
        hint: 'fill it with: mariadb-tdx quote collateral fetch --pccs URL QUOTE',
      },
    );
  }

  const sets: Collateral[] = [];
  for (const name of names) {
    const path = join(directory, name);
    if ((await stat(path)).isFile()) sets.push(await loadFile(path));
  }
  return mergeCollateral(sets);
}

/** Reads one collateral file of any supported kind. */
export async function loadFile(path: string): Promise<Collateral> {
  const info = await stat(path);
  if (info.size > MAX_FILE_SIZE) {
    throw new CollateralError('COLLATERAL_UNRECOGNIZED', `${path} is too large to be collateral`, {
      source: path,
    });
  }
  return collateralFromBytes(new Uint8Array(await readFile(path)), path);
}

/** Recognises collateral by content and parses it. `source` names it in messages. */
export function collateralFromBytes(bytes: Uint8Array, source: string): Collateral {
  const text = Buffer.from(bytes)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return collateralFromJson(trimmed, source);
  if (trimmed.includes('-----BEGIN CERTIFICATE-----')) {
    return createCollateral({ source, certificates: [trimmed] });
  }
  if (trimmed.includes('-----BEGIN X509 CRL-----')) {
    return createCollateral({ source, crls: [pemCrl(trimmed, source)] });
  }
  if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0 && trimmed.startsWith('30')) {
    return collateralFromDer(new Uint8Array(Buffer.from(trimmed, 'hex')), source);
  }
  if (bytes[0] === 0x30) return collateralFromDer(bytes, source);
  throw unrecognized(source);
}

function collateralFromJson(text: string, source: string): Collateral {
  const object = parseJsonObject(text, source);
  if (isBundle(object)) return collateralFromBundle(object, source);
  if ('tcbInfo' in object) return createCollateral({ source, tcbInfos: [text] });
  if ('enclaveIdentity' in object) return createCollateral({ source, qeIdentities: [text] });
  throw unrecognized(source);
}

/**
 * A DER certificate starts its to-be-signed part with the [0] version tag; a DER CRL with an
 * INTEGER version or the signature algorithm.
 */
function collateralFromDer(der: Uint8Array, source: string): Collateral {
  const tbsStart = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
  const tbsHeader =
    der[tbsStart + 1] === undefined
      ? 0
      : der[tbsStart + 1]! & 0x80
        ? 2 + (der[tbsStart + 1]! & 0x7f)
        : 2;
  if (der[tbsStart + tbsHeader] === 0xa0) return createCollateral({ source, certificates: [der] });
  return createCollateral({ source, crls: [der] });
}

function pemCrl(text: string, source: string): Uint8Array {
  const match = /^-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+)-----END X509 CRL-----$/.exec(text);
  if (!match)
    throw new CollateralError('COLLATERAL_INVALID', `${source} is not one PEM CRL`, { source });
  return new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'));
}

function unrecognized(source: string): CollateralError {
  return new CollateralError(
    'COLLATERAL_UNRECOGNIZED',
    `${source} is not collateral: expected a collateral bundle, a PCS TCB Info or QE identity ` +
      'response, a CRL or certificates',
    { source },
  );
}
