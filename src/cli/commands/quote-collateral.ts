import { Command, Option } from '@commander-js/extra-typings';
import { readQuote } from './quote-input.js';
import { renderPairs } from '../../report/table.js';
import { createStyle } from '../../report/style.js';
import { parseInteger } from '../options.js';
import { createStepReporter, printJson, println } from '../output.js';

export function collateralFetchCommand() {
  return new Command('fetch')
    .description(
      "download the collateral for a quote's platform from a PCCS or Intel PCS and store it in " +
        'the collateral cache that "quote verify" reads',
    )
    .argument('<quote>', 'quote file (binary, base64 or hex) whose platform needs collateral')
    .requiredOption('--pccs <url>', 'base URL of the PCCS or PCS v4 API')
    .option(
      '--cache <dir>',
      'collateral cache directory (default: ~/.cache/mariadb-tdx/collateral)',
    )
    .addOption(
      new Option('--update <kind>', 'TCB evaluation data set to request').choices([
        'standard',
        'early',
      ] as const),
    )
    .option(
      '--tcb-evaluation-data-number <n>',
      'request this TCB evaluation data number instead of the current one',
      parseInteger(1, 1_000_000),
    )
    .option('--root-ca-crl-url <url>', 'where to get the Root CA CRL (default: the service)')
    .option(
      '--timeout <seconds>',
      'time allowed for each request, headers and body together',
      parseInteger(1, 3600),
      30,
    )
    .option(
      '--allow-downgrade',
      'replace a cached bundle even when the fetched documents are older than it',
    )
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'do not report requests on standard error')
    .action(runFetch);
}

interface FetchCliOptions {
  pccs: string;
  cache?: string;
  update?: 'standard' | 'early';
  tcbEvaluationDataNumber?: number;
  rootCaCrlUrl?: string;
  timeout: number;
  allowDowngrade?: true;
  json?: true;
  quiet?: true;
}

async function runFetch(quotePath: string, options: FetchCliOptions) {
  const [{ fetchCollateral }, cache] = await Promise.all([
    import('../../attest/collateral/pccs.js'),
    import('../../attest/collateral/cache.js'),
  ]);
  const fetched = await fetchCollateral({
    pccsUrl: options.pccs,
    quote: await readQuote(quotePath),
    ...(options.update ? { update: options.update } : {}),
    ...(options.tcbEvaluationDataNumber === undefined
      ? {}
      : { tcbEvaluationDataNumber: options.tcbEvaluationDataNumber }),
    ...(options.rootCaCrlUrl ? { rootCaCrlUrl: options.rootCaCrlUrl } : {}),
    timeoutMs: options.timeout * 1000,
    onStep: createStepReporter(options.quiet === true || options.json === true),
  });
  const directory = options.cache ?? cache.defaultCacheDir();
  const path = await cache.writeCachedCollateral(
    directory,
    fetched,
    {
      fetchedAt: new Date().toISOString(),
      pccsUrl: options.pccs,
      tee: fetched.tee,
      fmspc: fetched.fmspc,
      ca: fetched.ca,
    },
    { allowDowngrade: options.allowDowngrade === true },
  );

  const summary = summarize(fetched, path);
  if (options.json) printJson(summary);
  else printSummary(summary);
}

type Fetched = Awaited<
  ReturnType<typeof import('../../attest/collateral/pccs.js').fetchCollateral>
>;

function summarize(fetched: Fetched, path: string) {
  const { collateral } = fetched;
  const tcbInfo = collateral.tcbInfos[0]!.body;
  const qeIdentity = collateral.qeIdentities[0]!.body;
  return {
    path,
    tee: fetched.tee,
    fmspc: fetched.fmspc,
    ca: fetched.ca,
    tcbInfo: {
      issueDate: tcbInfo.issueDate.toISOString(),
      nextUpdate: tcbInfo.nextUpdate.toISOString(),
      tcbEvaluationDataNumber: tcbInfo.tcbEvaluationDataNumber,
    },
    qeIdentity: {
      issueDate: qeIdentity.issueDate.toISOString(),
      nextUpdate: qeIdentity.nextUpdate.toISOString(),
      tcbEvaluationDataNumber: qeIdentity.tcbEvaluationDataNumber,
    },
    crls: collateral.crls.map((crl) => ({
      issuer: crl.issuerCn,
      thisUpdate: crl.thisUpdate.toISOString(),
      nextUpdate: crl.nextUpdate.toISOString(),
    })),
    urls: fetched.urls,
  };
}

function printSummary(summary: ReturnType<typeof summarize>) {
  const style = createStyle();
  println(
    style.ok(
      `collateral for ${summary.tee.toUpperCase()} FMSPC ${summary.fmspc} stored in ${summary.path}`,
    ),
  );
  println(
    renderPairs([
      ['PCK CA', summary.ca],
      [
        'TCB Info',
        `${summary.tcbInfo.issueDate} to ${summary.tcbInfo.nextUpdate}, evaluation data number ${summary.tcbInfo.tcbEvaluationDataNumber}`,
      ],
      ['QE identity', `${summary.qeIdentity.issueDate} to ${summary.qeIdentity.nextUpdate}`],
      ...summary.crls.map((crl): [string, string] => [
        `CRL ${crl.issuer}`,
        `${crl.thisUpdate} to ${crl.nextUpdate}`,
      ]),
    ]),
  );
  println(style.dim('signatures are checked when a quote is verified against this collateral'));
}
