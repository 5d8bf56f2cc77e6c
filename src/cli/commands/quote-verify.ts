import { Command } from '@commander-js/extra-typings';
import { stat } from 'node:fs/promises';
import type { Quote } from '../../attest/abi/types.js';
import type { QuoteAppraisal } from '../../attest/appraise.js';
import { ConfigError } from '../../errors.js';
import { readInputBytes } from '../files.js';
import { readQuote } from './quote-input.js';
import { collect, parseTime } from '../options.js';
import { printJson, println } from '../output.js';

/** Failure codes that mean the input could not be judged rather than that the quote is bad. */
const UNUSABLE_INPUT_CODES: ReadonlySet<string> = new Set(['COLLATERAL_MISSING']);

interface VerifyCliOptions {
  collateral?: string[];
  policy?: string;
  at?: Date;
  trustedRoot?: string[];
  json?: true;
}

export function quoteVerifyCommand() {
  return new Command('verify')
    .description(
      'verify an Intel TDX quote offline against Intel collateral and apply a policy; exits 0 ' +
        'when accepted, 1 when rejected, 2 when the input is unusable',
    )
    .argument('<quote>', 'quote file: binary, base64 or hex; - reads standard input')
    .option(
      '--collateral <path>',
      'collateral file or directory (bundle JSON, PCS responses, CRLs, certificates); ' +
        'repeatable, later ones replace earlier documents of the same kind ' +
        '(default: the cache of "quote collateral fetch")',
      collect,
    )
    .option('--policy <file>', 'policy file, JSON or YAML (default: the built-in policy)')
    .option('--at <time>', 'verification time, ISO 8601 or Unix seconds (default: now)', parseTime)
    .option(
      '--trusted-root <file>',
      'trust this root certificate (PEM or DER) instead of the Intel SGX Root CA; only for ' +
        'test evidence; repeatable',
      collect,
    )
    .option('--json', 'print the result as JSON')
    .action(runVerify);
}

async function runVerify(quotePath: string, options: VerifyCliOptions) {
  const [{ appraiseQuote }, { appraisalToJson }, { loadPolicy }, { renderAppraisal }] =
    await Promise.all([
      import('../../attest/appraise.js'),
      import('../../attest/report.js'),
      import('../../attest/policy/parse.js'),
      import('./quote-render.js'),
    ]);
  const quote = await readQuote(quotePath);
  const collateral = await loadCollateralFor(options.collateral ?? [], quote);
  const policy = options.policy ? await loadPolicy(options.policy) : undefined;
  const trustedRoots = await Promise.all((options.trustedRoot ?? []).map(readRoot));
  const appraisal = appraiseQuote(quote, collateral, {
    ...(options.at ? { now: options.at } : {}),
    ...(trustedRoots.length ? { trustedRoots } : {}),
    ...(policy ? { policy } : {}),
  });

  if (options.json) printJson(appraisalToJson(appraisal));
  else println(renderAppraisal(appraisal, { customRoots: trustedRoots.length > 0 }));
  process.exitCode = exitStatus(appraisal);
}

function exitStatus(appraisal: QuoteAppraisal): number {
  if (appraisal.accepted) return 0;
  const code = appraisal.verification.failure?.code;
  return code !== undefined && UNUSABLE_INPUT_CODES.has(code) ? 2 : 1;
}

async function readRoot(path: string): Promise<string | Uint8Array> {
  const bytes = await readInputBytes(path, 'trusted root');
  const text = Buffer.from(bytes).toString('latin1');
  return text.includes('-----BEGIN CERTIFICATE-----') ? text : bytes;
}

async function loadCollateralFor(paths: readonly string[], quote: Quote) {
  const [{ loadCollateral }, { defaultCacheDir }] = await Promise.all([
    import('../../attest/collateral/load.js'),
    import('../../attest/collateral/cache.js'),
  ]);
  if (paths.length > 0) return loadCollateral(paths, { quote });

  const cache = defaultCacheDir();
  const exists = await stat(cache).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!exists) {
    throw new ConfigError(
      'FILE_NOT_FOUND',
      `no --collateral given and no collateral cache at ${cache}`,
      {
        hint:
          'pass --collateral FILE, or fill the cache with: ' +
          'mariadb-tdx quote collateral fetch --pccs URL QUOTE',
      },
    );
  }
  return loadCollateral([cache], { quote });
}
