import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { loadCollateral } from '../../src/attest/collateral/load.js';
import type { Collateral } from '../../src/attest/verify/collateral.js';
import { tdxFixture } from './fixtures.js';

/** One verification case of the TDX fixtures, with the window its collateral is valid in. */
export interface FixtureCase {
  readonly name: string;
  readonly quote: string;
  readonly collateral: readonly string[];
  readonly at: Date;
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

const zkdcapCollateral = [
  'zkdcap/tcbinfov3_00806f050000.json',
  'zkdcap/qeidentityv2_tdx.json',
  'zkdcap/intel_root_ca_crl.der',
  'zkdcap/pck_platform_crl.der',
  'zkdcap/tcb_signing_cert.pem',
];

/** The cases of the fixtures' MANIFEST.md, with the collateral and times it lists. */
export const FIXTURE_CASES: Record<'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7', FixtureCase> = {
  F1: fixtureCase(
    'F1',
    'dcap-qvl/tdx_quote',
    ['dcap-qvl/tdx_quote_collateral.json'],
    1751328000,
    '2025-06-19T10:32:27Z',
    '2025-07-19T10:00:35Z',
  ),
  F2: fixtureCase(
    'F2',
    'dcap-qvl/tdx_quote_outdated',
    ['dcap-qvl/tdx_quote_outdated_collateral.json'],
    1772323200,
    '2026-02-18T10:58:51Z',
    '2026-03-20T10:41:15Z',
  ),
  F3: fixtureCase(
    'F3',
    'dcap-qvl/sgx_quote',
    ['dcap-qvl/sgx_quote_collateral.json'],
    1751328000,
    '2025-06-19T10:56:11Z',
    '2025-07-19T10:01:18Z',
  ),
  F4: fixtureCase(
    'F4',
    'go-tdx-guest/quote_v5_sample.dat',
    ['dcap-qvl/tdx_quote_outdated_collateral.json', 'go-tdx-guest/sample_tcbinfo_response_v5'],
    1771977600,
    '2026-02-18T10:42:15Z',
    '2026-03-03T14:49:26Z',
  ),
  F5: fixtureCase(
    'F5',
    'zkdcap/quote_tdx_00806f050000.dat',
    zkdcapCollateral,
    1737467060,
    '2025-01-21T12:58:39Z',
    '2025-02-20T10:55:28Z',
  ),
  F6: fixtureCase(
    'F6',
    'zkdcap/quote_v4.dat',
    zkdcapCollateral,
    1738368000,
    '2025-01-21T12:58:39Z',
    '2025-02-20T10:55:28Z',
  ),
  F7: fixtureCase(
    'F7',
    'trustee/tdx_quote_4.dat',
    [
      'go-tdx-guest/sample_tcbInfo_response',
      'go-tdx-guest/sample_qeIdentity_response',
      'go-tdx-guest/pckcrl',
      'go-tdx-guest/rootcrl.der',
      'zkdcap/tcb_signing_cert.pem',
    ],
    1688173200,
    '2023-06-18T08:42:58Z',
    '2023-07-08T07:24:59Z',
  ),
};

function fixtureCase(
  name: string,
  quote: string,
  collateral: string[],
  atSeconds: number,
  windowStart: string,
  windowEnd: string,
): FixtureCase {
  return {
    name,
    quote,
    collateral,
    at: new Date(atSeconds * 1000),
    windowStart: new Date(windowStart),
    windowEnd: new Date(windowEnd),
  };
}

export function readFixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(tdxFixture(path)));
}

export function fixtureCollateral(testCase: FixtureCase): Promise<Collateral> {
  return loadCollateral(testCase.collateral.map((path) => tdxFixture(path)));
}

/** Asserts that `run` throws an instance of `type` with the stable `code`. */
export function expectCode(
  run: () => unknown,
  type: abstract new (...args: never[]) => Error,
  code: string,
) {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${type.name} ${code}`).toBeInstanceOf(type);
  expect((thrown as { code: string }).code).toBe(code);
  return thrown as Error & { code: string };
}

/** Same as `expectCode` for a promise. */
export async function expectCodeAsync(
  run: () => Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  code: string,
) {
  const thrown = await run().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown, `expected ${type.name} ${code}`).toBeInstanceOf(type);
  expect((thrown as { code: string }).code).toBe(code);
  return thrown as Error & { code: string };
}

/** Returns a copy of `bytes` with one bit flipped at `offset`. */
export function flipBit(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[offset]! ^= 1 << bit;
  return copy;
}
