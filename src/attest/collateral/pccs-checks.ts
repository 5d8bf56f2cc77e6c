import { CollateralError } from '../errors.js';
import { mergeCollateral, parseCertificates, type Collateral } from '../verify/collateral.js';
import { parseCrl, type Crl } from '../verify/crl.js';
import { parseQeIdentity } from '../verify/qe-identity.js';
import { parseTcbInfo } from '../verify/tcb-info.js';
import type { CollateralBundle } from './bundle.js';
import type { Fetched } from './http.js';
import type { Responses } from './pccs.js';

/** Request that `quote collateral fetch` sent to the service. */
export interface CollateralRequest {
  readonly tee: 'tdx' | 'sgx';
  readonly fmspc: string;
  readonly ca: 'platform' | 'processor';
  readonly tcbEvaluationDataNumber?: number | undefined;
}

/**
 * Parses each fetched document on its own, so that a malformed one is reported with the URL
 * that served it and a hint about the service rather than about local files.
 */
export function parseResponses(bundle: CollateralBundle, responses: Responses): ParsedResponses {
  const tcbSource = `the TCB Info from ${responses.tcbInfo.url}`;
  const qeSource = `the QE identity from ${responses.qeIdentity.url}`;
  const tcbText = bundle.tcb_info as string;
  const qeText = bundle.qe_identity as string;

  const tcbInfo = fromService(responses.tcbInfo, () => ({
    text: tcbText,
    signature: hexBytes(bundle.tcb_info_signature),
    body: parseTcbInfo(tcbText, tcbSource),
    source: tcbSource,
  }));
  const qeIdentity = fromService(responses.qeIdentity, () => ({
    text: qeText,
    signature: hexBytes(bundle.qe_identity_signature),
    body: parseQeIdentity(qeText, qeSource),
    source: qeSource,
  }));
  const crl = (response: Fetched, hex: unknown, name: string): Crl =>
    fromService(response, () => parseCrl(hexBytes(hex), `the ${name} from ${response.url}`));
  const chain = (response: Fetched, pem: unknown) =>
    fromService(response, () =>
      parseCertificates(pem as string, `the issuer chain header from ${response.url}`),
    );

  const rootCrl = crl(responses.rootCrl, bundle.root_ca_crl, 'Root CA CRL');
  const pckCrl = crl(responses.pckCrl, bundle.pck_crl, 'PCK CRL');
  const collateral = mergeCollateral([
    {
      tcbInfos: [tcbInfo],
      qeIdentities: [qeIdentity],
      crls: [rootCrl, pckCrl],
      certificates: [
        ...chain(responses.tcbInfo, bundle.tcb_info_issuer_chain),
        ...chain(responses.qeIdentity, bundle.qe_identity_issuer_chain),
        ...chain(responses.pckCrl, bundle.pck_crl_issuer_chain),
      ],
    },
  ]);
  return { collateral, rootCrl, pckCrl };
}

/** The fetched documents, parsed but not verified. */
export interface ParsedResponses {
  readonly collateral: Collateral;
  readonly rootCrl: Crl;
  readonly pckCrl: Crl;
}

function hexBytes(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(value as string, 'hex'));
}

/** Runs a parser on a fetched document; a failure keeps its code and gets a hint about the service. */
export function fromService<T>(response: Fetched, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof CollateralError)) throw error;
    throw new CollateralError(error.code, error.message, {
      source: response.url,
      cause: error,
      hint: `the service sent a malformed document; check that ${new URL(response.url).origin} is a PCCS or Intel PCS v4 API and look at its logs`,
    });
  }
}

/**
 * Compares what the service returned with what was requested. A PCCS that ignores a parameter
 * (such as tcbEvaluationDataNumber) would otherwise fill the cache with other data silently.
 */
export function checkAgainstRequest(
  parsed: ParsedResponses,
  responses: Responses,
  request: CollateralRequest,
) {
  const { collateral, rootCrl, pckCrl } = parsed;
  const tcbInfo = collateral.tcbInfos[0]!.body;
  const qeIdentity = collateral.qeIdentities[0]!.body;
  const tee = request.tee.toUpperCase();
  const qeId = request.tee === 'tdx' ? 'TD_QE' : 'QE';
  const caName = request.ca === 'platform' ? 'PCK Platform CA' : 'PCK Processor CA';

  const mismatches: [Fetched, string | undefined][] = [
    [responses.tcbInfo, tcbInfo.id === tee ? undefined : `TCB Info for ${tcbInfo.id}, not ${tee}`],
    [
      responses.tcbInfo,
      tcbInfo.fmspc === request.fmspc.toLowerCase()
        ? undefined
        : `TCB Info for FMSPC ${tcbInfo.fmspc}, not ${request.fmspc}`,
    ],
    [
      responses.qeIdentity,
      qeIdentity.id === qeId ? undefined : `a ${qeIdentity.id} identity, not ${qeId}`,
    ],
    [
      responses.pckCrl,
      pckCrl.issuerCn.includes(caName)
        ? undefined
        : `a CRL of "${pckCrl.issuerCn}", not of the ${caName}`,
    ],
    [
      responses.rootCrl,
      rootCrl.issuerCn.includes('Root CA')
        ? undefined
        : `a CRL of "${rootCrl.issuerCn}", not of a Root CA`,
    ],
  ];
  const requested = request.tcbEvaluationDataNumber;
  if (requested !== undefined) {
    mismatches.push(
      [
        responses.tcbInfo,
        evaluationMismatch('TCB Info', tcbInfo.tcbEvaluationDataNumber, requested),
      ],
      [
        responses.qeIdentity,
        evaluationMismatch('QE identity', qeIdentity.tcbEvaluationDataNumber, requested),
      ],
    );
  }

  for (const [response, problem] of mismatches) {
    if (problem === undefined) continue;
    throw new CollateralError('COLLATERAL_FETCH_FAILED', `${response.url} returned ${problem}`, {
      source: response.url,
      hint: 'the service did not return what was requested; nothing was stored',
    });
  }
}

function evaluationMismatch(name: string, actual: number, requested: number) {
  if (actual === requested) return undefined;
  return `${name} with TCB evaluation data number ${actual}, not the requested ${requested}`;
}
