import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { FIXTURE_CASES } from './attest.js';
import { tdxFixture } from './fixtures.js';

/** Handler of one route of {@link startPccs}. */
export type PccsHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Paths of the F1 collateral requests, as `quote collateral fetch` sends them. */
export const F1_PATHS = {
  tcbInfo: '/tdx/certification/v4/tcb?fmspc=B0C06F000000',
  qeIdentity: '/tdx/certification/v4/qe/identity',
  pckCrl: '/sgx/certification/v4/pckcrl?ca=platform&encoding=der',
  rootCrl: '/sgx/certification/v4/rootcacrl',
} as const;

/** A PCCS on 127.0.0.1 and the paths it was asked for. */
export interface TestPccs {
  readonly url: string;
  readonly requests: string[];
  readonly close: () => Promise<void>;
}

/**
 * Starts a PCCS on 127.0.0.1 that serves F1's collateral the way Intel PCS v4 does, except that
 * it ignores the `update` and `tcbEvaluationDataNumber` parameters, as an outdated PCCS would.
 * `routes` replaces the response for a path (query included), for tests of misbehaving services.
 */
export async function startPccs(routes: Record<string, PccsHandler> = {}): Promise<TestPccs> {
  const bundle = JSON.parse(await readFile(tdxFixture(FIXTURE_CASES.F1.collateral[0]!), 'utf8'));
  const chain = (pem: string) => encodeURIComponent(pem);
  const documents: Record<string, { body: string | Buffer; headers: Record<string, string> }> = {
    [F1_PATHS.tcbInfo]: {
      body: `{"tcbInfo":${bundle.tcb_info},"signature":"${bundle.tcb_info_signature}"}`,
      headers: { 'TCB-Info-Issuer-Chain': chain(bundle.tcb_info_issuer_chain) },
    },
    [F1_PATHS.qeIdentity]: {
      body: `{"enclaveIdentity":${bundle.qe_identity},"signature":"${bundle.qe_identity_signature}"}`,
      headers: { 'SGX-Enclave-Identity-Issuer-Chain': chain(bundle.qe_identity_issuer_chain) },
    },
    [F1_PATHS.pckCrl]: {
      body: Buffer.from(bundle.pck_crl, 'hex'),
      headers: { 'SGX-PCK-CRL-Issuer-Chain': chain(bundle.pck_crl_issuer_chain) },
    },
    // Some PCCS versions return the root CA CRL as hex text; dcap-qvl's client expects that.
    [F1_PATHS.rootCrl]: { body: bundle.root_ca_crl, headers: {} },
  };

  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const handler = routes[path];
    if (handler) return handler(request, response);
    const document = documents[withoutEvaluationParameters(path)];
    if (!document) return void response.writeHead(404).end();
    response.writeHead(200, document.headers).end(document.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Returns the headers of F1's PCK CRL, for handlers that replace its body. */
export async function f1PckCrlHeaders(): Promise<Record<string, string>> {
  const bundle = JSON.parse(await readFile(tdxFixture(FIXTURE_CASES.F1.collateral[0]!), 'utf8'));
  return { 'SGX-PCK-CRL-Issuer-Chain': encodeURIComponent(bundle.pck_crl_issuer_chain) };
}

function withoutEvaluationParameters(path: string): string {
  const url = new URL(path, 'http://pccs');
  url.searchParams.delete('update');
  url.searchParams.delete('tcbEvaluationDataNumber');
  return `${url.pathname}${url.search}`;
}
