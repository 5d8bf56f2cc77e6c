// Quote verifications per second: mariadb-tdx's verifyQuote against @phala/dcap-qvl's verify()
// on the same fixture quotes, collateral and verification times, measured in one run.
//
//   npx tsx bench/quote/run.ts [--seconds 2] [--rounds 5] [--json]
//
// dcap-qvl (a development-only comparison) skips checks that verifyQuote makes: CRL signatures
// and dates, the TDX module identity, the PCE ID, the QE vendor and the TCB signer's name. The
// figures below include all of them. verifyQuote runs in two modes: with its default cache of
// successful signature checks on byte-identical inputs, and with every signature computed.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { loadCollateral } from '../../src/attest/collateral/load.js';
import type { Collateral } from '../../src/attest/verify/collateral.js';
import { INTEL_SGX_ROOT_CA_PEM } from '../../src/attest/verify/roots.js';
import { verifyQuote } from '../../src/attest/verify/verify.js';
import { FIXTURE_CASES, readFixture, type FixtureCase } from '../../test/helpers/attest.js';
import { tdxFixture } from '../../test/helpers/fixtures.js';

const require = createRequire(import.meta.url);
const dcapQvl = require('@phala/dcap-qvl') as {
  verify(quote: Uint8Array, collateral: unknown, nowSeconds: number): { status: string };
};

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);

interface BenchCase {
  readonly name: string;
  readonly quote: Uint8Array;
  readonly collateral: Collateral;
  /** The same collateral in dcap-qvl's JSON form. */
  readonly qvlCollateral: Record<string, string>;
  readonly at: Date;
}

/** dcap-qvl's collateral JSON built from the documents verifyQuote selects for the quote. */
function toQvlCollateral(collateral: Collateral, testCase: FixtureCase): Record<string, string> {
  const result = verifyQuote(readFixture(testCase.quote), collateral, { now: testCase.at });
  const tcbInfo = collateral.tcbInfos.find((item) => item.body.fmspc === result.platform?.fmspc)!;
  const qeIdentity = collateral.qeIdentities.find((item) => item.body.id === 'TD_QE')!;
  const pem = (der: Uint8Array) =>
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----\n`;
  const signing = collateral.certificates.filter((item) => item.subjectCn.includes('TCB Signing'));
  const signer = signing.find(
    (item) => item.notAfter > testCase.at && item.notBefore < testCase.at,
  )!;
  const rootPem = INTEL_SGX_ROOT_CA_PEM;
  const crl = (issuer: string) =>
    Buffer.from(collateral.crls.find((item) => item.issuerCn.includes(issuer))!.der).toString(
      'hex',
    );
  return {
    tcb_info: tcbInfo.text,
    tcb_info_signature: Buffer.from(tcbInfo.signature).toString('hex'),
    tcb_info_issuer_chain: pem(signer.der) + rootPem,
    qe_identity: qeIdentity.text,
    qe_identity_signature: Buffer.from(qeIdentity.signature).toString('hex'),
    qe_identity_issuer_chain: pem(signer.der) + rootPem,
    root_ca_crl: crl('Root CA'),
    pck_crl: crl('PCK'),
    pck_crl_issuer_chain: rootPem,
  };
}

async function loadCase(testCase: FixtureCase): Promise<BenchCase> {
  const collateral = await loadCollateral(testCase.collateral.map((path) => tdxFixture(path)));
  return {
    name: testCase.name,
    quote: readFixture(testCase.quote),
    collateral,
    qvlCollateral: toQvlCollateral(collateral, testCase),
    at: testCase.at,
  };
}

/** Runs `verify` repeatedly for about SECONDS and returns verifications per second. */
function rate(verify: () => void): number {
  verify();
  const deadline = performance.now() + SECONDS * 1000;
  let count = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    verify();
    count += 1;
  }
  return count / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const cases = await Promise.all(
  [FIXTURE_CASES.F1, FIXTURE_CASES.F4, FIXTURE_CASES.F5].map(loadCase),
);
const rows = [];
for (const benchCase of cases) {
  const seconds = benchCase.at.getTime() / 1000;
  const ours = verifyQuote(benchCase.quote, benchCase.collateral, { now: benchCase.at });
  const theirs = dcapQvl.verify(benchCase.quote, benchCase.qvlCollateral, seconds);
  if (!ours.ok || ours.tcb?.status !== theirs.status) {
    throw new Error(`${benchCase.name}: results differ (${ours.tcb?.status} vs ${theirs.status})`);
  }

  const samples = { cached: [] as number[], uncached: [] as number[], dcapQvl: [] as number[] };
  // Rounds alternate between the implementations, so load on the shared machine hits all three.
  for (let round = 0; round < ROUNDS; round += 1) {
    samples.cached.push(
      rate(() => verifyQuote(benchCase.quote, benchCase.collateral, { now: benchCase.at })),
    );
    samples.uncached.push(
      rate(() =>
        verifyQuote(benchCase.quote, benchCase.collateral, {
          now: benchCase.at,
          cacheSignatures: false,
        }),
      ),
    );
    samples.dcapQvl.push(
      rate(() => dcapQvl.verify(benchCase.quote, benchCase.qvlCollateral, seconds)),
    );
  }
  const cached = median(samples.cached);
  const uncached = median(samples.uncached);
  const qvl = median(samples.dcapQvl);
  rows.push({
    case: benchCase.name,
    status: ours.tcb.status,
    verifyQuotePerSecond: Math.round(cached),
    verifyQuoteUncachedPerSecond: Math.round(uncached),
    dcapQvlPerSecond: Math.round(qvl),
    ratio: Number((cached / qvl).toFixed(1)),
    ratioUncached: Number((uncached / qvl).toFixed(1)),
  });
}

if (args.json) {
  process.stdout.write(`${JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, rows }, null, 2)}\n`);
} else {
  console.log(`median of ${ROUNDS} rounds of ${SECONDS} s each; verifications per second`);
  console.log('case  status     verifyQuote  (no cache)  dcap-qvl   ratio  (no cache)');
  for (const row of rows) {
    console.log(
      `${row.case.padEnd(5)} ${row.status.padEnd(10)} ${String(row.verifyQuotePerSecond).padStart(11)} ` +
        `${String(row.verifyQuoteUncachedPerSecond).padStart(11)} ${String(row.dcapQvlPerSecond).padStart(9)} ` +
        `${row.ratio.toFixed(1).padStart(6)}x ${row.ratioUncached.toFixed(1).padStart(10)}x`,
    );
  }
}
