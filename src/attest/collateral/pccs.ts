import type { Quote } from '../abi/types.js';
import { CollateralError } from '../errors.js';
import type { Collateral } from '../verify/collateral.js';
import { getDocument, type Fetched, type FetchFunction } from './http.js';
import { checkAgainstRequest, fromService, parseResponses } from './pccs-checks.js';
import { quotePlatform, type QuotePlatform } from '../verify/platform.js';
import { splitSignedJson } from '../verify/signed-json.js';
import type { CollateralBundle } from './bundle.js';

export type { FetchFunction } from './http.js';

export interface FetchCollateralOptions {
  /** Base URL of a PCCS or of Intel PCS, such as https://pccs.example:8081. */
  readonly pccsUrl: string;
  readonly quote: Quote;
  /** `early` requests the TCB evaluation data Intel publishes ahead of a TCB recovery. */
  readonly update?: 'standard' | 'early';
  readonly tcbEvaluationDataNumber?: number;
  /** URL of the Intel SGX Root CA CRL. Default: the service's `rootcacrl` endpoint. */
  readonly rootCaCrlUrl?: string;
  readonly fetch?: FetchFunction;
  /** Time for one request, headers and body; default DEFAULT_FETCH_TIMEOUT_MS (30 s). */
  readonly timeoutMs?: number;
  /** Largest body of one document; default MAX_COLLATERAL_RESPONSE_BYTES (4 MiB). */
  readonly maxResponseBytes?: number;
  /** Called before each request with a short description, for progress output. */
  readonly onStep?: (step: string) => void;
}

export interface FetchedCollateral {
  readonly bundle: CollateralBundle;
  readonly collateral: Collateral;
  readonly fmspc: string;
  readonly ca: 'platform' | 'processor';
  readonly tee: 'tdx' | 'sgx';
  readonly urls: readonly string[];
}

const ISSUER_CHAIN_HEADERS = {
  tcbInfo: ['TCB-Info-Issuer-Chain', 'SGX-TCB-Info-Issuer-Chain'],
  qeIdentity: ['SGX-Enclave-Identity-Issuer-Chain'],
  pckCrl: ['SGX-PCK-CRL-Issuer-Chain'],
} as const;

/**
 * Downloads the collateral for a quote's platform from a PCCS or PCS v4 API: TCB Info for its
 * FMSPC, the QE identity, the PCK CRL of its CA and the Root CA CRL. The issuer chains come from
 * the response headers. Each response is parsed and compared with the request (TEE, FMSPC, QE,
 * CA, evaluation data number) before it is returned, but nothing is trusted until `verifyQuote`
 * checks its signatures.
 */
export async function fetchCollateral(options: FetchCollateralOptions): Promise<FetchedCollateral> {
  const platform = quotePlatform(options.quote);
  if (!platform) {
    throw new CollateralError(
      'COLLATERAL_FETCH_FAILED',
      "the quote's PCK certificate has no readable FMSPC, so its collateral cannot be chosen",
    );
  }
  const base = serviceBase(options.pccsUrl);
  const tee = options.quote.header.tee === 'TDX' ? 'tdx' : 'sgx';
  const responses = await fetchDocuments(options, base, tee, platform);
  const bundle = bundleFromResponses(responses);
  const parsed = parseResponses(bundle, responses);
  checkAgainstRequest(parsed, responses, {
    tee,
    fmspc: platform.fmspc,
    ca: platform.caType,
    tcbEvaluationDataNumber: options.tcbEvaluationDataNumber,
  });
  return {
    bundle,
    collateral: parsed.collateral,
    fmspc: platform.fmspc,
    ca: platform.caType,
    tee,
    urls: Object.values(responses).map((response) => response.url),
  };
}

export interface Responses {
  readonly tcbInfo: Fetched;
  readonly qeIdentity: Fetched;
  readonly pckCrl: Fetched;
  readonly rootCrl: Fetched;
}

async function fetchDocuments(
  options: FetchCollateralOptions,
  base: string,
  tee: 'tdx' | 'sgx',
  platform: QuotePlatform,
): Promise<Responses> {
  const evaluation = evaluationParameters(options);
  const url = (path: string, parameters: Record<string, string> = {}) => {
    const query = new URLSearchParams(parameters).toString();
    return `${base}/${path}${query ? `?${query}` : ''}`;
  };
  const limits = {
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    maxBytes: options.maxResponseBytes,
  };
  const get = (target: string, what: string) => {
    options.onStep?.(`fetching ${what} from ${target}`);
    return getDocument(target, what, limits);
  };
  const fmspc = platform.fmspc.toUpperCase();
  const crlQuery = { ca: platform.caType, encoding: 'der' };
  return {
    tcbInfo: await get(url(`${tee}/certification/v4/tcb`, { fmspc, ...evaluation }), 'TCB Info'),
    qeIdentity: await get(url(`${tee}/certification/v4/qe/identity`, evaluation), 'QE identity'),
    pckCrl: await get(url('sgx/certification/v4/pckcrl', crlQuery), 'PCK CRL'),
    rootCrl: await get(
      options.rootCaCrlUrl ?? url('sgx/certification/v4/rootcacrl'),
      'Root CA CRL',
    ),
  };
}

/** Builds the bundle from the signed documents exactly as served and the chains in the headers. */
function bundleFromResponses(responses: Responses): CollateralBundle {
  const { tcbInfo, qeIdentity, pckCrl, rootCrl } = responses;
  const decode = (response: Fetched) => new TextDecoder().decode(response.body);
  const tcbSigned = fromService(tcbInfo, () =>
    splitSignedJson(decode(tcbInfo), 'tcbInfo', `the TCB Info from ${tcbInfo.url}`),
  );
  const qeSigned = fromService(qeIdentity, () =>
    splitSignedJson(
      decode(qeIdentity),
      'enclaveIdentity',
      `the QE identity from ${qeIdentity.url}`,
    ),
  );
  return {
    tcb_info: tcbSigned.text,
    tcb_info_signature: Buffer.from(tcbSigned.signature).toString('hex'),
    tcb_info_issuer_chain: issuerChain(tcbInfo, ISSUER_CHAIN_HEADERS.tcbInfo),
    qe_identity: qeSigned.text,
    qe_identity_signature: Buffer.from(qeSigned.signature).toString('hex'),
    qe_identity_issuer_chain: issuerChain(qeIdentity, ISSUER_CHAIN_HEADERS.qeIdentity),
    pck_crl: Buffer.from(crlBytes(pckCrl)).toString('hex'),
    pck_crl_issuer_chain: issuerChain(pckCrl, ISSUER_CHAIN_HEADERS.pckCrl),
    root_ca_crl: Buffer.from(crlBytes(rootCrl)).toString('hex'),
  };
}

/** Returns the API root of a service URL, without a trailing slash or API version suffix. */
export function serviceBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CollateralError('COLLATERAL_FETCH_FAILED', `"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new CollateralError('COLLATERAL_FETCH_FAILED', `"${url}" is not an http or https URL`);
  }
  return url.replace(/\/+$/, '').replace(/\/(sgx|tdx)\/certification\/v4$/, '');
}

function evaluationParameters(options: FetchCollateralOptions): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (options.update) parameters.update = options.update;
  if (options.tcbEvaluationDataNumber !== undefined) {
    parameters.tcbEvaluationDataNumber = String(options.tcbEvaluationDataNumber);
  }
  return parameters;
}

function issuerChain(response: Fetched, names: readonly string[]): string {
  for (const name of names) {
    const value = response.headers.get(name);
    if (value) return decodeURIComponent(value);
  }
  throw new CollateralError(
    'COLLATERAL_FETCH_FAILED',
    `${response.url} sent no issuer chain header (${names.join(' or ')})`,
    { source: response.url },
  );
}

/** CRL bodies come as DER, or as hex text from some PCCS versions. */
function crlBytes(response: Fetched): Uint8Array {
  const text = new TextDecoder().decode(response.body).trim();
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0)
    return new Uint8Array(Buffer.from(text, 'hex'));
  return response.body;
}
