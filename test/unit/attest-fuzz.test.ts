import { beforeAll, describe, expect, it } from 'vitest';
import { parseQuote } from '../../src/attest/abi/quote.js';
import { createRandom } from '../../src/dataset/banking.js';
import { QuoteFormatError } from '../../src/attest/errors.js';
import type { Collateral } from '../../src/attest/verify/collateral.js';
import { verifyQuote } from '../../src/attest/verify/verify.js';
import {
  FIXTURE_CASES,
  fixtureCollateral,
  readFixture,
  type FixtureCase,
} from '../helpers/attest.js';

// FUZZ_ITERATIONS lowers the count for a quick local run; the suite runs the full count.
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 100_000);
const CASES: FixtureCase[] = [
  FIXTURE_CASES.F1,
  FIXTURE_CASES.F2,
  FIXTURE_CASES.F3,
  FIXTURE_CASES.F4,
  FIXTURE_CASES.F5,
  FIXTURE_CASES.F7,
];

type Random = ReturnType<typeof createRandom>;
const pick = (random: Random, limit: number) => Math.floor(random() * limit);

/** Applies one random mutation: byte changes, a cut, bytes added or removed, or a new length. */
function mutate(base: Uint8Array, random: Random): Uint8Array {
  const kind = pick(random, 6);
  // Half the byte changes land in the header, body and first length fields, where the parser
  // makes most of its decisions.
  const position = (limit: number) =>
    random() < 0.5 ? pick(random, Math.min(limit, 800)) : pick(random, limit);

  if (kind === 0) {
    const copy = new Uint8Array(base);
    for (let i = 0, n = 1 + pick(random, 4); i < n; i += 1)
      copy[position(copy.length)] = pick(random, 256);
    return copy;
  }
  if (kind === 1) return base.subarray(0, pick(random, base.length));

  if (kind === 2) {
    const extra = 1 + pick(random, 64);
    const at = position(base.length);
    const grown = new Uint8Array(base.length + extra);
    grown.set(base.subarray(0, at));
    for (let i = 0; i < extra; i += 1) grown[at + i] = pick(random, 256);
    grown.set(base.subarray(at), at + extra);
    return grown;
  }

  if (kind === 3) {
    const at = position(base.length);
    const removed = Math.min(1 + pick(random, 16), base.length - at);
    const shrunk = new Uint8Array(base.length - removed);
    shrunk.set(base.subarray(0, at));
    shrunk.set(base.subarray(at + removed), at);
    return shrunk;
  }

  const copy = new Uint8Array(base);
  const at = position(copy.length - 4);
  const view = new DataView(copy.buffer);
  if (kind === 4) view.setUint16(at, pick(random, 0x10000), true);
  else view.setUint32(at, random() < 0.5 ? pick(random, 0x2000) : pick(random, 0x100000000), true);
  return copy;
}

describe('quote parsing and verification under mutation', () => {
  const collaterals: Collateral[] = [];
  const quotes = CASES.map((testCase) => readFixture(testCase.quote));

  beforeAll(async () => {
    for (const testCase of CASES) collaterals.push(await fixtureCollateral(testCase));
  });

  it(`sees only typed errors across ${ITERATIONS} mutated quotes`, () => {
    // A seeded generator, so a failure can be replayed from its iteration number.
    const random = createRandom(0x6d617269);
    const counts = { formatErrors: 0, rejected: 0, accepted: 0 };
    let slowest = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
      const index = pick(random, CASES.length);
      const mutated = mutate(quotes[index]!, random);
      const started = performance.now();
      try {
        const quote = parseQuote(mutated);
        const result = verifyQuote(quote, collaterals[index]!, { now: CASES[index]!.at });
        if (result.ok) counts.accepted += 1;
        else counts.rejected += 1;
      } catch (error) {
        if (!(error instanceof QuoteFormatError)) {
          throw new Error(`iteration ${iteration} threw ${String(error)}`, { cause: error });
        }
        expect(error.offset).toBeGreaterThanOrEqual(0);
        counts.formatErrors += 1;
      }
      slowest = Math.max(slowest, performance.now() - started);
    }

    expect(counts.formatErrors + counts.rejected + counts.accepted).toBe(ITERATIONS);
    // Each kind of outcome must occur, or the mutations are not reaching the verifier.
    expect(counts.formatErrors).toBeGreaterThan(ITERATIONS / 10);
    expect(counts.rejected).toBeGreaterThan(ITERATIONS / 10);
    // One iteration never takes long: nothing loops on attacker-chosen lengths.
    expect(slowest).toBeLessThan(2000);
  }, 300_000);
});
