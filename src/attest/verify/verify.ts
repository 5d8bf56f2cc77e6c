import { parseQuote } from '../abi/quote.js';
import { isTdxQuote, type Quote } from '../abi/types.js';
import type { Certificate } from './certificate.js';
import type { Collateral } from './collateral.js';
import type { StepDetails, StepId, StepResult, VerifyContext } from './context.js';
import { QuoteVerificationError, fail } from './failure.js';
import { defaultTrustedRoots, loadTrustedRoots, type TrustedRootInput } from './roots.js';
import { verifyQeIdentity, verifyTcbInfo } from './steps-collateral.js';
import { verifyPckCrl, verifyRootCrl } from './steps-crl.js';
import { checkHeader, verifyPckChain } from './steps-pck.js';
import {
  verifyQeIdentityMatch,
  verifyQeReportData,
  verifyQeReportSignature,
  verifyQuoteSignature,
  verifyTdxModule,
} from './steps-report.js';
import { buildResult, type QuoteVerification } from './result.js';
import { evaluateTcb } from './tcb-status.js';
import { requireValidTime } from './time.js';

export type { CollateralFacts, PlatformFacts, QuoteVerification } from './result.js';

export interface VerifyQuoteOptions {
  /** Verification time; every certificate, CRL and collateral document must be valid then. Default: now. */
  readonly now?: Date;
  /**
   * Roots that chains may end at, as PEM or DER. Default: the Intel SGX Root CA only, pinned by
   * SHA-256. Pass a test root here, and only here, to accept evidence signed by a test chain.
   */
  readonly trustedRoots?: readonly TrustedRootInput[];
  /**
   * Reuse earlier successful checks of byte-identical signatures (CRLs, TCB Info, QE identity,
   * CA certificates, QE reports), keyed by SHA-256. Default: true. Every other check still runs.
   */
  readonly cacheSignatures?: boolean;
}

interface StepDefinition {
  readonly id: StepId;
  readonly title: string;
  readonly requires: readonly StepId[];
  readonly tdxOnly?: boolean;
  readonly run: (context: VerifyContext) => StepDetails;
}

const STEPS: readonly StepDefinition[] = [
  { id: 'quote-header', title: 'Quote header and QE vendor', requires: [], run: checkHeader },
  {
    id: 'pck-chain',
    title: 'PCK certificate chain to a trusted root',
    requires: [],
    run: verifyPckChain,
  },
  { id: 'root-crl', title: 'Root CA CRL', requires: ['pck-chain'], run: verifyRootCrl },
  {
    id: 'pck-crl',
    title: 'PCK CRL and PCK revocation',
    requires: ['pck-chain'],
    run: verifyPckCrl,
  },
  { id: 'tcb-info', title: 'TCB Info', requires: ['pck-chain', 'root-crl'], run: verifyTcbInfo },
  {
    id: 'qe-identity',
    title: 'QE identity',
    requires: ['pck-chain', 'root-crl'],
    run: verifyQeIdentity,
  },
  {
    id: 'tdx-module',
    title: 'TDX module identity',
    requires: ['tcb-info'],
    tdxOnly: true,
    run: verifyTdxModule,
  },
  {
    id: 'qe-report-signature',
    title: 'QE report signed by the PCK key',
    requires: ['pck-chain'],
    run: verifyQeReportSignature,
  },
  {
    id: 'qe-report-data',
    title: 'Attestation key bound to the QE report',
    requires: [],
    run: verifyQeReportData,
  },
  {
    id: 'qe-identity-match',
    title: 'QE report matches the QE identity',
    requires: ['qe-identity', 'qe-report-signature'],
    run: verifyQeIdentityMatch,
  },
  {
    id: 'quote-signature',
    title: 'Quote signed by the attestation key',
    requires: [],
    run: verifyQuoteSignature,
  },
  { id: 'tcb-status', title: 'TCB status', requires: [], run: computeTcbStatus },
];

/**
 * Verifies a DCAP quote offline against collateral, following the order of Intel's Quote
 * Verification Library. Input that cannot be parsed throws QuoteFormatError, and an invalid
 * `now` throws ConfigError INVALID_OPTION. Every other failure is recorded in the returned
 * steps, and `ok` is true only when all of them passed.
 *
 * @example
 * const collateral = await loadCollateral(['collateral.json']);
 * const result = verifyQuote(quoteBytes, collateral, { now: new Date('2025-07-01T00:00:00Z') });
 * if (result.ok) console.log(result.tcb?.status);
 */
export function verifyQuote(
  quote: Uint8Array | Quote,
  collateral: Collateral,
  options: VerifyQuoteOptions = {},
): QuoteVerification {
  const now = options.now ?? new Date();
  requireValidTime(now, 'the verification time');
  const parsed = quote instanceof Uint8Array ? parseQuote(quote) : quote;
  const roots = options.trustedRoots ? loadTrustedRoots(options.trustedRoots) : intelRoots();
  const context: VerifyContext = {
    quote: parsed,
    collateral,
    now,
    roots,
    cacheSignatures: options.cacheSignatures ?? true,
    windows: [],
    rootCrls: new Map(),
    checkedSigners: new Set(),
  };

  const steps: StepResult[] = [];
  for (const step of STEPS) {
    if (step.tdxOnly && !isTdxQuote(parsed)) continue;
    steps.push(runStep(step, context, steps));
  }
  return buildResult(context, steps);
}

/** Throws the first failure of a verification result as a QuoteVerificationError. */
export function assertQuoteVerified(result: QuoteVerification): void {
  if (!result.failure) return;
  const { code, message, hint } = result.failure;
  throw new QuoteVerificationError(code, message, hint === undefined ? undefined : { hint });
}

let intelRootsCache: Certificate[] | undefined;
function intelRoots(): Certificate[] {
  intelRootsCache ??= defaultTrustedRoots();
  return intelRootsCache;
}

function runStep(
  step: StepDefinition,
  context: VerifyContext,
  done: readonly StepResult[],
): StepResult {
  const base = { id: step.id, title: step.title };
  // The TCB status needs every earlier step; the others name what they build on.
  const required = step.id === 'tcb-status' ? done.map((result) => result.id) : step.requires;
  const blocked = done.filter(
    (result) => required.includes(result.id) && result.status !== 'passed',
  );
  if (blocked.length > 0) {
    return { ...base, status: 'skipped', details: { after: blocked.map((result) => result.id) } };
  }

  try {
    return { ...base, status: 'passed', details: step.run(context) };
  } catch (error) {
    if (!(error instanceof QuoteVerificationError)) throw error;
    return {
      ...base,
      status: 'failed',
      code: error.code,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      details: {},
    };
  }
}

function computeTcbStatus(context: VerifyContext): StepDetails {
  const { quote, pck, tcbInfo, qeLevel } = context;
  const tdx = isTdxQuote(quote) ? quote.body : undefined;
  const tcb = evaluateTcb({
    tcbInfo: tcbInfo!.body,
    pckComponents: pck!.extension.sgxTcbComponents,
    pckPceSvn: pck!.extension.pceSvn,
    teeTcbSvn: tdx?.teeTcbSvn,
    teeTcbSvn2: tdx?.teeTcbSvn2,
    moduleIdentity: context.moduleIdentity,
    qe: qeLevel!,
  });
  context.tcb = tcb;
  if (tcb.status === 'Revoked') {
    fail('TCB_REVOKED', 'Intel has revoked this TCB level; the platform cannot be trusted');
  }
  return { status: tcb.status, tcbDate: tcb.tcbDate, advisoryIds: tcb.advisoryIds };
}
