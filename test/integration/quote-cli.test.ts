import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CASES, readFixture } from '../helpers/attest.js';
import { runCli } from '../helpers/cli.js';
import { tdxFixture } from '../helpers/fixtures.js';
import { F1_PATHS, startPccs, type TestPccs } from '../helpers/pccs.js';
import { resignEvidence } from '../helpers/test-chain.js';
import { scratchDir } from '../helpers/scratch.js';

const F1 = FIXTURE_CASES.F1;
const collateralArgs = (testCase: (typeof FIXTURE_CASES)[keyof typeof FIXTURE_CASES]) =>
  testCase.collateral.flatMap((path) => ['--collateral', tdxFixture(path)]);
const verifyArgs = (name: keyof typeof FIXTURE_CASES, extra: string[] = []) => {
  const testCase = FIXTURE_CASES[name];
  return [
    'quote',
    'verify',
    tdxFixture(testCase.quote),
    ...collateralArgs(testCase),
    '--at',
    testCase.at.toISOString(),
    ...extra,
  ];
};

let workDir: string;

beforeAll(async () => {
  workDir = await scratchDir('mariadb-tdx-quote-');
});

describe('quote verify', () => {
  it('accepts F1 and prints the appraisal as JSON', async () => {
    const result = await runCli(verifyArgs('F1', ['--json']));
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.accepted).toBe(true);
    expect(output.tcb.status).toBe('UpToDate');
    expect(output.quote.body.mrTd.startsWith('91eb2b44d141d4ec')).toBe(true);
    expect(
      output.verification.steps.every((step: { status: string }) => step.status === 'passed'),
    ).toBe(true);
    expect(output.collateral.validUntil).toBe('2025-07-19T10:00:35.000Z');
    expect(output.policy.satisfied).toBe(true);
  });

  it('rejects the debug TD F7', async () => {
    const result = await runCli(verifyArgs('F7'));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('REJECTED');
    expect(result.stdout).toMatch(/FAIL\s+td-attributes\.forbidden\.DEBUG/);
  });

  it('rejects F2 as TCB not supported', async () => {
    const result = await runCli(verifyArgs('F2', ['--json']));
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout).verification.failure.code).toBe('TCB_NOT_SUPPORTED');
  });

  it('rejects collateral one second past its window', async () => {
    const late = new Date(F1.windowEnd.getTime() + 1000).toISOString();
    const args = [
      'quote',
      'verify',
      tdxFixture(F1.quote),
      ...collateralArgs(F1),
      '--at',
      late,
      '--json',
    ];
    const result = await runCli(args);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout).verification.failure.code).toBe('COLLATERAL_EXPIRED');
  });

  it('exits 2 when collateral is missing', async () => {
    const testCase = FIXTURE_CASES.F5;
    const args = [
      'quote',
      'verify',
      tdxFixture(testCase.quote),
      '--collateral',
      tdxFixture('zkdcap/tcbinfov3_00806f050000.json'),
      '--at',
      String(testCase.at.getTime() / 1000),
      '--json',
    ];
    const result = await runCli(args);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).verification.failure.code).toBe('COLLATERAL_MISSING');
  });

  it('names the field of a truncated quote', async () => {
    const path = join(workDir, 'truncated.dat');
    await writeFile(path, readFixture(F1.quote).subarray(0, 600));
    const result = await runCli(['quote', 'verify', path, ...collateralArgs(F1)]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('QUOTE_TRUNCATED');
    expect(result.stderr).toContain('body.');
  });

  it('reads a base64 quote from standard input', async () => {
    const input = Buffer.from(readFixture(F1.quote)).toString('base64');
    const args = ['quote', 'verify', '-', ...collateralArgs(F1), '--at', F1.at.toISOString()];
    const result = await runCli(args, { input });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('ACCEPTED');
  });

  it('applies a policy file', async () => {
    const path = join(workDir, 'policy.yaml');
    await writeFile(path, 'tdAttributes:\n  required: []\n');
    expect((await runCli(verifyArgs('F6'))).status).toBe(1);
    expect((await runCli(verifyArgs('F6', ['--policy', path]))).status).toBe(0);
  });

  it('exits 2 for invalid options', async () => {
    const path = join(workDir, 'bad-policy.json');
    await writeFile(path, JSON.stringify({ mrTd: 'xyz' }));
    const policy = await runCli(verifyArgs('F1', ['--policy', path]));
    expect(policy.status).toBe(2);
    expect(policy.stderr).toContain('POLICY_INVALID');
    const time = await runCli(['quote', 'verify', tdxFixture(F1.quote), '--at', 'yesterday']);
    expect(time.status).toBe(2);
  });
});

describe('quote verify with test evidence', () => {
  let evidenceDir: string;

  beforeAll(async () => {
    const bundle = JSON.parse(await readFile(tdxFixture(F1.collateral[0]!), 'utf8'));
    const evidence = await resignEvidence(
      readFixture(F1.quote),
      { tcbInfo: bundle.tcb_info, qeIdentity: bundle.qe_identity },
      {
        crlThisUpdate: new Date('2025-06-01T00:00:00Z'),
        crlNextUpdate: new Date('2025-08-01T00:00:00Z'),
      },
    );
    evidenceDir = await scratchDir('mariadb-tdx-evidence-');
    const { collateral } = evidence;
    const signed = (key: string, document: { text: string; signature: Uint8Array }) =>
      `{"${key}":${document.text},"signature":"${Buffer.from(document.signature).toString('hex')}"}`;
    await writeFile(join(evidenceDir, 'quote.dat'), evidence.quote);
    await writeFile(join(evidenceDir, 'root.pem'), evidence.rootPem);
    const files = join(evidenceDir, 'collateral');
    await import('node:fs/promises').then((fs) => fs.mkdir(files));
    await writeFile(join(files, 'tcb.json'), signed('tcbInfo', collateral.tcbInfos![0] as never));
    await writeFile(
      join(files, 'qe.json'),
      signed('enclaveIdentity', collateral.qeIdentities![0] as never),
    );
    await writeFile(join(files, 'root.crl'), collateral.crls![0]!);
    await writeFile(join(files, 'pck.crl'), collateral.crls![1]!);
    await writeFile(join(files, 'chain.pem'), (collateral.certificates as string[]).join('\n'));
  });

  const args = () => [
    'quote',
    'verify',
    join(evidenceDir, 'quote.dat'),
    '--collateral',
    join(evidenceDir, 'collateral'),
    '--at',
    F1.at.toISOString(),
  ];

  it('rejects evidence from a test root by default', async () => {
    const result = await runCli([...args(), '--json']);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout).verification.failure.code).toBe('PCK_CHAIN_UNTRUSTED');
  });

  it('accepts an explicitly trusted test root', async () => {
    const result = await runCli([...args(), '--trusted-root', join(evidenceDir, 'root.pem')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('other than the Intel SGX Root CA');
  });
});

describe('quote collateral fetch', () => {
  let pccs: TestPccs;

  beforeAll(async () => {
    pccs = await startPccs();
  });
  afterAll(async () => {
    await pccs?.close();
  });

  it('fills the cache that verify reads', async () => {
    const cache = join(workDir, 'cache');
    const fetch = await runCli([
      'quote',
      'collateral',
      'fetch',
      tdxFixture(F1.quote),
      '--pccs',
      `${pccs.url}/sgx/certification/v4/`,
      '--cache',
      cache,
      '--json',
    ]);
    expect(fetch.stderr).toBe('');
    expect(fetch.status).toBe(0);
    const summary = JSON.parse(fetch.stdout);
    expect(summary).toMatchObject({ fmspc: 'b0c06f000000', ca: 'platform', tee: 'tdx' });
    expect(await readdir(cache)).toEqual(['tdx-b0c06f000000-platform.json']);
    expect(pccs.requests).toEqual(expect.arrayContaining(Object.values(F1_PATHS)));

    const verify = await runCli([
      'quote',
      'verify',
      tdxFixture(F1.quote),
      '--collateral',
      cache,
      '--at',
      F1.at.toISOString(),
    ]);
    expect(verify.status).toBe(0);
  });

  it('fails when the service lacks TCB Info', async () => {
    const result = await runCli([
      'quote',
      'collateral',
      'fetch',
      tdxFixture(FIXTURE_CASES.F5.quote),
      '--pccs',
      pccs.url,
      '--cache',
      join(workDir, 'cache-missing'),
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('COLLATERAL_FETCH_FAILED');
  });
});
