import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseQuote } from '../../src/attest/abi/quote.js';
import { collateralFromBytes, loadCollateral } from '../../src/attest/collateral/load.js';
import { CollateralError } from '../../src/attest/errors.js';
import { createCollateral } from '../../src/attest/verify/collateral.js';
import { INTEL_SGX_ROOT_CA_PEM } from '../../src/attest/verify/roots.js';
import { splitSignedJson } from '../../src/attest/verify/signed-json.js';
import { verifyQuote } from '../../src/attest/verify/verify.js';
import { FIXTURE_CASES, expectCode, expectCodeAsync, readFixture } from '../helpers/attest.js';
import { tdxFixture } from '../helpers/fixtures.js';
import { scratchDir } from '../helpers/scratch.js';

const F1 = FIXTURE_CASES.F1;
const F5 = FIXTURE_CASES.F5;
let workDir: string;

beforeAll(async () => {
  workDir = await scratchDir('mariadb-tdx-collateral-');
});

describe('splitSignedJson', () => {
  const body =
    '{"tcbInfo": {"id":"TDX", "a":[1,{"b":"}"}]} ,"signature":"' + 'ab'.repeat(64) + '"}';

  it('keeps the exact text of the signed object', () => {
    expect(splitSignedJson(body, 'tcbInfo', 'test').text).toBe('{"id":"TDX", "a":[1,{"b":"}"}]}');
  });

  it('rejects a repeated top-level member', () => {
    const repeated = body.replace('{"tcbInfo":', '{"tcbInfo":{},"tcbInfo":');
    expectCode(
      () => splitSignedJson(repeated, 'tcbInfo', 'test'),
      CollateralError,
      'COLLATERAL_INVALID',
    );
  });

  it('rejects a signature that is not 64 bytes of hex', () => {
    const short = body.replace('ab'.repeat(64), 'ab'.repeat(63));
    expectCode(
      () => splitSignedJson(short, 'tcbInfo', 'test'),
      CollateralError,
      'COLLATERAL_INVALID',
    );
  });

  it('rejects text that is not JSON', () => {
    expectCode(
      () => splitSignedJson('{"tcbInfo":', 'tcbInfo', 'test'),
      CollateralError,
      'COLLATERAL_INVALID',
    );
  });
});

describe('collateralFromBytes', () => {
  it('reads a CRL as DER, hex and PEM', async () => {
    const der = new Uint8Array(await readFile(tdxFixture('zkdcap/pck_platform_crl.der')));
    const hex = Buffer.from(Buffer.from(der).toString('hex'));
    const pem = Buffer.from(
      `-----BEGIN X509 CRL-----\n${Buffer.from(der).toString('base64')}\n-----END X509 CRL-----\n`,
    );
    for (const bytes of [der, hex, pem]) {
      const collateral = collateralFromBytes(new Uint8Array(bytes), 'crl');
      expect(collateral.crls).toHaveLength(1);
      expect(collateral.crls[0]!.issuerCn).toBe('Intel SGX PCK Platform CA');
    }
  });

  it('reads a DER certificate', () => {
    const der = readFixture('zkdcap/Intel_SGX_Provisioning_Certification_RootCA.cer');
    expect(collateralFromBytes(der, 'root').certificates[0]!.subjectCn).toBe('Intel SGX Root CA');
  });

  it('rejects a file that is not collateral', () => {
    expectCode(
      () => collateralFromBytes(Buffer.from('hello'), 'note.txt'),
      CollateralError,
      'COLLATERAL_UNRECOGNIZED',
    );
    expectCode(
      () => collateralFromBytes(Buffer.from('{"a":1}'), 'a.json'),
      CollateralError,
      'COLLATERAL_UNRECOGNIZED',
    );
  });

  it('rejects a TCB Info of an unsupported version', () => {
    const body = '{"tcbInfo":{"id":"TDX","version":2},"signature":"' + '00'.repeat(64) + '"}';
    const error = expectCode(
      () => collateralFromBytes(Buffer.from(body), 'tcb.json'),
      CollateralError,
      'COLLATERAL_INVALID',
    );
    expect(error.message).toContain('version');
  });
});

describe('loadCollateral', () => {
  it('reads every file of a directory', async () => {
    const directory = join(workDir, 'zkdcap');
    await mkdir(directory);
    for (const path of F5.collateral) {
      await writeFile(join(directory, path.split('/').at(-1)!), await readFile(tdxFixture(path)));
    }
    const collateral = await loadCollateral([directory]);
    const result = verifyQuote(readFixture(F5.quote), collateral, { now: F5.at });
    expect(result.tcb?.status).toBe('OutOfDate');
  });

  it('reads only the cached bundle for the quote from a cache directory', async () => {
    const directory = join(workDir, 'cache');
    await mkdir(directory);
    await writeFile(
      join(directory, 'tdx-b0c06f000000-platform.json'),
      await readFile(tdxFixture(F1.collateral[0]!)),
    );
    await writeFile(join(directory, 'unrelated.txt'), 'not collateral');
    const collateral = await loadCollateral([directory], {
      quote: parseQuote(readFixture(F1.quote)),
    });
    expect(collateral.tcbInfos.map((item) => item.body.fmspc)).toEqual(['b0c06f000000']);
  });

  it('reports a missing path as COLLATERAL_NOT_FOUND', async () => {
    await expectCodeAsync(
      () => loadCollateral([join(workDir, 'nothing')]),
      CollateralError,
      'COLLATERAL_NOT_FOUND',
    );
  });

  it('lets a later file replace the TCB Info of an earlier bundle', async () => {
    const F4 = FIXTURE_CASES.F4;
    const collateral = await loadCollateral(F4.collateral.map((path) => tdxFixture(path)));
    expect(collateral.tcbInfos).toHaveLength(1);
    expect(collateral.tcbInfos[0]!.source).toContain('sample_tcbinfo_response_v5');
  });
});

describe('trusted roots', () => {
  it('rejects a certificate that is not a self-signed CA', () => {
    const quote = parseQuote(readFixture(F1.quote));
    const leafPem =
      quote.signatureData.pckCertificateChain.pem.split('-----END CERTIFICATE-----')[0] +
      '-----END CERTIFICATE-----';
    const collateral = createCollateral({});
    expectCode(
      () => verifyQuote(quote, collateral, { trustedRoots: [leafPem] }),
      CollateralError,
      'TRUST_ANCHOR_INVALID',
    );
  });

  it('rejects an empty list', () => {
    expectCode(
      () => verifyQuote(readFixture(F1.quote), createCollateral({}), { trustedRoots: [] }),
      CollateralError,
      'TRUST_ANCHOR_INVALID',
    );
  });

  it('accepts the Intel root passed explicitly', () => {
    const quote = readFixture(F1.quote);
    const result = verifyQuote(quote, createCollateral({}), {
      trustedRoots: [INTEL_SGX_ROOT_CA_PEM],
      now: F1.at,
    });
    expect(result.steps.find((step) => step.id === 'pck-chain')?.status).toBe('passed');
    expect(result.failure?.code).toBe('COLLATERAL_MISSING');
  });
});
