import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appraiseQuote } from '../../src/attest/appraise.js';
import { QuoteFormatError, PolicyError } from '../../src/attest/errors.js';
import { evaluatePolicy } from '../../src/attest/policy/evaluate.js';
import { loadPolicy, parsePolicy } from '../../src/attest/policy/parse.js';
import { decodeQuoteInput } from '../../src/attest/quote-input.js';
import { windowState } from '../../src/attest/verify/time.js';
import { verifyQuote } from '../../src/attest/verify/verify.js';
import { ConfigError } from '../../src/errors.js';
import {
  FIXTURE_CASES,
  expectCode,
  expectCodeAsync,
  fixtureCollateral,
  readFixture,
} from '../helpers/attest.js';

const F1 = FIXTURE_CASES.F1;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'mariadb-tdx-inputs-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('verification time', () => {
  it('rejects an invalid Date in verifyQuote and appraiseQuote', async () => {
    const collateral = await fixtureCollateral(F1);
    const quote = readFixture(F1.quote);
    const now = new Date('garbage');
    expectCode(() => verifyQuote(quote, collateral, { now }), ConfigError, 'INVALID_OPTION');
    expectCode(() => appraiseQuote(quote, collateral, { now }), ConfigError, 'INVALID_OPTION');
  });

  it('fails closed when a window end is invalid', () => {
    const now = new Date('2025-07-01T00:00:00Z');
    const start = new Date('2025-06-01T00:00:00Z');
    expect(windowState(now, start, new Date(Number.NaN))).toBe('expired');
    expect(windowState(now, new Date(Number.NaN), now)).toBe('not-yet-valid');
    expect(windowState(new Date(Number.NaN), start, now)).not.toBe('valid');
    expect(windowState(now, start, now)).toBe('valid');
  });
});

describe('decodeQuoteInput', () => {
  const quote = readFixture(F1.quote);
  const hex = Buffer.from(quote).toString('hex');

  it('passes binary quotes through', () => {
    expect(decodeQuoteInput(quote)).toBe(quote);
  });

  it.each([
    ['hex', hex],
    ['0x-prefixed hex', `0x${hex}\n`],
    ['hex in spaced pairs', hex.replace(/(..)/g, '$1 ')],
    [
      'base64 wrapped at 76 columns',
      Buffer.from(quote)
        .toString('base64')
        .replace(/(.{76})/g, '$1\n'),
    ],
    ['base64url', Buffer.from(quote).toString('base64url')],
  ])('decodes %s', (_name, text) => {
    expect(Buffer.from(decodeQuoteInput(Buffer.from(text))).equals(Buffer.from(quote))).toBe(true);
  });

  it.each([
    ['text with a punctuation mark', 'this is not a quote!', 4],
    ['0x followed by text', '0xnot hex', 2],
  ])('reports %s as neither base64 nor hex', (_name, text, offset) => {
    const error = expectCode(
      () => decodeQuoteInput(Buffer.from(text)),
      QuoteFormatError,
      'QUOTE_ENCODING_INVALID',
    ) as QuoteFormatError;
    expect(error.offset).toBe(offset);
  });

  it('reports hex with an odd number of digits', () => {
    expectCode(
      () => decodeQuoteInput(Buffer.from(`${hex}0`)),
      QuoteFormatError,
      'QUOTE_ENCODING_INVALID',
    );
  });
});

describe('policy file errors', () => {
  const policyFile = async (name: string, text: string) => {
    const path = join(workDir, name);
    await writeFile(path, text);
    return path;
  };

  it('suggests the rule name a mistyped key meant', () => {
    const error = expectCode(
      () => parsePolicy({ mrtd: 'ab'.repeat(48), acceptedTcbStatuses: ['uptodate'] }),
      PolicyError,
      'POLICY_INVALID',
    );
    expect(error.message).toContain('did you mean mrTd?');
    expect(error.message).toContain('did you mean UpToDate?');
  });

  it('names the line and column of a YAML syntax error', async () => {
    const path = await policyFile('broken.yaml', 'mrTd: [ab\nxfam: 1\n');
    const error = await expectCodeAsync(() => loadPolicy(path), PolicyError, 'POLICY_INVALID');
    expect(error.message).toMatch(/line \d+, column \d+/);
  });

  it('names the line and column of a JSON syntax error', async () => {
    const path = await policyFile('broken.json', '{\n  "mrTd": "ab",,\n}\n');
    const error = await expectCodeAsync(() => loadPolicy(path), PolicyError, 'POLICY_INVALID');
    expect(error.message).toContain('line 2, column');
  });

  it('names a key that a JSON file sets twice', async () => {
    const path = await policyFile('twice.json', '{"xfam": "e702060000000000",\n "xfam": "00"}');
    const error = await expectCodeAsync(() => loadPolicy(path), PolicyError, 'POLICY_INVALID');
    expect(error.message).toContain('"xfam" twice (line 2, column 2)');
  });
});

describe('policy findings', () => {
  it('name the field and show what was observed', async () => {
    const collateral = await fixtureCollateral(F1);
    const verification = verifyQuote(readFixture(F1.quote), collateral, { now: F1.at });
    const report = evaluatePolicy(
      verification,
      parsePolicy({ mrTd: 'ab'.repeat(48), minTeeTcbSvn: 'ff'.padEnd(32, '0') }),
    );
    const mrtd = report.findings.find((finding) => finding.rule === 'mrtd')!;
    expect(mrtd.message).toBe('MRTD differs from the expected value');
    expect(mrtd.observed).toMatch(/^91eb2b44/);
    const svn = report.findings.find((finding) => finding.rule === 'min-tee-tcb-svn')!;
    expect(svn.message).toBe('TEE_TCB_SVN byte 0 is below the minimum');
  });
});
