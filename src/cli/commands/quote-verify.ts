import { Command } from '@commander-js/extra-typings';
import { stat } from 'node:fs/promises';
import type { Quote } from '../../attest/abi/types.js';
import type { QuoteAppraisal } from '../../attest/appraise.js';
import { ConfigError } from '../../errors.js';
import { readInputBytes } from '../files.js';
import { readQuote } from './quote-input.js';
import { collect, parseTime } from '../options.js';
import { printJson, println } from '../output.js';
import type { Verdict } from './quote-render.js';

/**
 * Failure codes that mean the input could not be judged rather than that the quote is bad:
 * collateral missing for the quote's platform (including documents for another FMSPC, TEE or
 * QE) is unusable input.
 */
const UNUSABLE_INPUT_CODES: ReadonlySet<string> = new Set(['COLLATERAL_MISSING']);

// A root certificate is about 1 KB; a file this large is not one.
const MAX_ROOT_FILE_BYTES = 1024 * 1024;

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
  try {
    await verifyQuoteFile(quotePath, options);
  } catch (error) {
    const { describeFailure } = await import('../errors.js');
    const report = options.json ? describeFailure(error) : undefined;
    if (!report || report.code === 'INTERRUPTED') throw error;
    // Input that cannot be judged is a verdict too, so JSON readers find it where they look.
    process.stdout.write(`${JSON.stringify({ verdict: 'unusable', error: report })}\n`);
    process.exitCode = EXIT_STATUS.unusable;
  }
}

async function verifyQuoteFile(quotePath: string, options: VerifyCliOptions) {
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
  const roots = await readRoots(options.trustedRoot ?? []);
  const appraisal = appraiseQuote(quote, collateral, {
    ...(options.at ? { now: options.at } : {}),
    ...(roots.inputs.length ? { trustedRoots: roots.inputs } : {}),
    ...(policy ? { policy } : {}),
  });

  const verdict = verdictOf(appraisal);
  if (options.json) printJson({ ...appraisalToJson(appraisal), verdict });
  else {
    println(
      renderAppraisal(appraisal, {
        verdict,
        nonIntelRoots: roots.nonIntel,
        trailingData: !quote.trailingZero,
      }),
    );
  }
  process.exitCode = EXIT_STATUS[verdict];
}

const EXIT_STATUS: Record<Verdict, number> = { accepted: 0, rejected: 1, unusable: 2 };

function verdictOf(appraisal: QuoteAppraisal): Verdict {
  if (appraisal.accepted) return 'accepted';
  const code = appraisal.verification.failure?.code;
  return code !== undefined && UNUSABLE_INPUT_CODES.has(code) ? 'unusable' : 'rejected';
}

/** Reads and checks each --trusted-root file, so errors name the file. */
async function readRoots(paths: readonly string[]) {
  const { isIntelRoot, loadTrustedRoots } = await import('../../attest/verify/roots.js');
  const inputs: (string | Uint8Array)[] = [];
  let nonIntel = false;
  for (const path of paths) {
    const bytes = await readInputBytes(path, 'trusted root', { maxBytes: MAX_ROOT_FILE_BYTES });
    const text = Buffer.from(bytes).toString('latin1');
    const input = text.includes('-----BEGIN CERTIFICATE-----') ? text : bytes;
    const certificates = loadTrustedRoots([input], [`trusted root ${path}`]);
    nonIntel ||= certificates.some((certificate) => !isIntelRoot(certificate));
    inputs.push(input);
  }
  return { inputs, nonIntel };
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
