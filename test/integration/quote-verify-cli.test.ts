import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedEvidence } from '../../src/attest/evidence/simulated/provider.js';
import {
  createSimulatedTd,
  type SimulatedTdSummary,
} from '../../src/attest/evidence/simulated/td.js';
import { FIXTURE_CASES, readFixture } from '../helpers/attest.js';
import { runCli } from '../helpers/cli.js';
import { tdxFixture } from '../helpers/fixtures.js';

const F1 = FIXTURE_CASES.F1;
let workDir: string;

const verify = (quote: string, extra: string[]) => runCli(['quote', 'verify', quote, ...extra]);
const f1Collateral = () => F1.collateral.flatMap((path) => ['--collateral', tdxFixture(path)]);
const at = () => ['--at', F1.at.toISOString()];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'mariadb-tdx-verify-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('quote verify of simulated evidence', () => {
  let sim: SimulatedTdSummary;
  let quote: string;

  beforeAll(async () => {
    sim = await createSimulatedTd(join(workDir, 'sim'));
    quote = join(workDir, 'simulated.quote');
    await writeFile(quote, await (await simulatedEvidence(sim.dir)).quote(Buffer.alloc(64)));
  });

  it('says SIMULATED when the test root is trusted', async () => {
    const args = ['--collateral', sim.collateral, '--trusted-root', sim.rootCa];
    const text = await verify(quote, [...args, '--policy', sim.policy]);
    expect(text.status).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^ACCEPTED SIMULATED /);
    const json = await verify(quote, [...args, '--policy', sim.policy, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ accepted: true, simulated: true });
  });

  it('says SIMULATED when the quote is rejected', async () => {
    const text = await verify(quote, ['--collateral', sim.collateral]);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('SIMULATED');
    const json = await verify(quote, ['--collateral', sim.collateral, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ accepted: false, simulated: true });
  });

  it('says nothing of simulation for a real quote', async () => {
    const json = await verify(tdxFixture(F1.quote), [...f1Collateral(), ...at(), '--json']);
    expect(JSON.parse(json.stdout).simulated).toBe(false);
  });
});

describe('quote verify trusted roots', () => {
  it('does not warn about the Intel root given explicitly', async () => {
    const root = tdxFixture('zkdcap/Intel_SGX_Provisioning_Certification_RootCA.cer');
    const result = await verify(tdxFixture(F1.quote), [
      ...f1Collateral(),
      ...at(),
      '--trusted-root',
      root,
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain('other than the Intel SGX Root CA');
  });

  it('names the trusted root file that is not a certificate', async () => {
    const path = join(workDir, 'not-a-root.pem');
    await writeFile(path, 'garbage\n');
    const result = await verify(tdxFixture(F1.quote), [...f1Collateral(), '--trusted-root', path]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('TRUST_ANCHOR_INVALID');
    expect(result.stderr).toContain(path);
  });
});

describe('quote verify of unusable input', () => {
  let withoutDocuments: string;

  beforeAll(async () => {
    // F1's CRLs and chains without its TCB Info and QE identity, for the other platform's.
    const bundle = JSON.parse(await readFile(tdxFixture(F1.collateral[0]!), 'utf8'));
    withoutDocuments = join(workDir, 'f1-crls.json');
    await writeFile(
      withoutDocuments,
      JSON.stringify({ ...bundle, tcb_info: null, qe_identity: null }),
    );
  });

  it.each([
    ['SGX TCB Info and an SGX QE identity', 'dcap-qvl/sgx_quote_collateral.json'],
    ['TCB Info of another FMSPC', 'zkdcap/tcbinfov3_00806f050000.json'],
  ])('exits 2 for %s', async (_name, other) => {
    const collateral = ['--collateral', tdxFixture(other), '--collateral', withoutDocuments];
    const result = await verify(tdxFixture(F1.quote), [...collateral, ...at(), '--json']);
    expect(result.status).toBe(2);
    const output = JSON.parse(result.stdout);
    expect(output.verdict).toBe('unusable');
    expect(output.verification.failure).toMatchObject({
      step: 'tcb-info',
      code: 'COLLATERAL_MISSING',
    });
  });

  it('exits 2 for an SGX QE identity instead of TD_QE', async () => {
    const qe = join(workDir, 'sgx-qe.json');
    const sgx = JSON.parse(
      await readFile(tdxFixture('dcap-qvl/sgx_quote_collateral.json'), 'utf8'),
    );
    const f1 = JSON.parse(await readFile(tdxFixture(F1.collateral[0]!), 'utf8'));
    await writeFile(
      qe,
      JSON.stringify({
        ...f1,
        qe_identity: sgx.qe_identity,
        qe_identity_signature: sgx.qe_identity_signature,
      }),
    );
    const result = await verify(tdxFixture(F1.quote), ['--collateral', qe, ...at(), '--json']);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).verification.failure).toMatchObject({
      step: 'qe-identity',
      code: 'COLLATERAL_MISSING',
    });
  });

  it('exits 2 for a cache without a bundle for the quote', async () => {
    const cache = join(workDir, 'cache');
    await mkdir(cache);
    await copyFile(
      tdxFixture('dcap-qvl/sgx_quote_collateral.json'),
      join(cache, 'sgx-00a067110000-processor.json'),
    );
    const result = await verify(tdxFixture(F1.quote), ['--collateral', cache, '--json']);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).error.code).toBe('COLLATERAL_NOT_FOUND');
  });

  it('stops reading an input larger than any quote', async () => {
    const result = await verify('/dev/zero', ['--json']);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).error.code).toBe('INPUT_TOO_LARGE');
  });

  it('warns about bytes after the quote', async () => {
    const path = join(workDir, 'padded.dat');
    await writeFile(
      path,
      Buffer.concat([Buffer.from(readFixture(F1.quote)), Buffer.alloc(100, 0x41)]),
    );
    const result = await verify(path, [...f1Collateral(), ...at()]);
    expect(result.status).toBe(0);
    // The fixture carries 70 bytes of zero padding of its own.
    expect(result.stdout).toContain('170 bytes follow the quote; they are not signed');
    const plain = await verify(tdxFixture(F1.quote), [...f1Collateral(), ...at()]);
    expect(plain.stdout).not.toContain('follow the quote');
  });

  it('reads 0x-prefixed hex', async () => {
    const path = join(workDir, 'quote.hex');
    await writeFile(path, `0x${Buffer.from(readFixture(F1.quote)).toString('hex')}\n`);
    const result = await verify(path, [...f1Collateral(), ...at()]);
    expect(result.status).toBe(0);
  });

  it('reports text that is neither base64 nor hex', async () => {
    const path = join(workDir, 'note.txt');
    await writeFile(path, 'this is not a quote, just a note\n');
    const result = await verify(path, ['--json']);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).error.code).toBe('QUOTE_ENCODING_INVALID');
  });

  it('gives a malformed quote the verdict unusable in JSON', async () => {
    const path = join(workDir, 'short.dat');
    await writeFile(path, Buffer.from(readFixture(F1.quote)).subarray(0, 700));
    const result = await verify(path, ['--json']);
    expect(result.status).toBe(2);
    const output = JSON.parse(result.stdout) as { verdict: string; error: { code: string } };
    expect(output.verdict).toBe('unusable');
    expect(output.error.code).toMatch(/^QUOTE_/);
  });

  it('rejects a time given in milliseconds', async () => {
    const result = await verify(tdxFixture(F1.quote), [
      ...f1Collateral(),
      '--at',
      String(F1.at.getTime()),
      '--json',
    ]);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).error.message).toContain('looks like milliseconds');
  });
});

describe('usage errors with --json', () => {
  it.each([
    ['quote verify with an invalid --at', ['quote', 'verify', 'q', '--json', '--at', 'yesterday']],
    ['quote verify with an unknown option', ['quote', 'verify', 'q', '--bogus', '--json']],
    ['quote verify without its argument', ['quote', 'verify', '--json']],
    ['kbs keys list with an unknown option', ['kbs', 'keys', 'list', '--bogus', '--json']],
    ['status with an unknown option', ['status', '--json', '--nope']],
    ['agent without --kbs', ['agent', '--json']],
    ['an unknown command', ['frobnicate', '--json']],
  ])('prints one JSON error for %s', async (_name, args) => {
    const result = await runCli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).error.code).toBe('INVALID_OPTION');
  });
});
