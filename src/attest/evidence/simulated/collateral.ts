import { webcrypto } from 'node:crypto';
import type { SimulatedChain } from './chain.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Intel's TCB Info and QE identity are valid for 30 days; the simulation does the same. */
const COLLATERAL_DAYS = 30;
const EVALUATION_DATA_NUMBER = 17;

/** Platform and QE values that the test collateral describes. */
export interface CollateralProfile {
  readonly fmspc: string;
  readonly pceId: string;
  readonly sgxTcbComponents: readonly number[];
  readonly pceSvn: number;
  /** TDX TCB components of the up-to-date level; bytes 0 and 1 are judged by module identity. */
  readonly tdxTcbComponents: readonly number[];
  /** ISVSVN of the TDX module at the up-to-date level (TEE_TCB_SVN byte 0). */
  readonly moduleIsvSvn: number;
  readonly qeMrSigner: string;
  readonly qeIsvProdId: number;
  readonly qeIsvSvn: number;
  readonly qeAttributes: string;
}

/** The collateral bundle in the JSON layout that `quote verify --collateral` reads. */
export interface CollateralBundleJson {
  readonly tcb_info: string;
  readonly tcb_info_signature: string;
  readonly tcb_info_issuer_chain: string;
  readonly qe_identity: string;
  readonly qe_identity_signature: string;
  readonly qe_identity_issuer_chain: string;
  readonly root_ca_crl: string;
  readonly pck_crl: string;
  readonly pck_crl_issuer_chain: string;
}

/** Builds and signs a TDX TCB Info and a TD_QE identity, valid from `now` for 30 days. */
export async function buildCollateral(
  profile: CollateralProfile,
  chain: SimulatedChain,
  now: Date,
): Promise<CollateralBundleJson> {
  const issueDate = pcsTime(new Date(now.getTime() - DAY_MS));
  const nextUpdate = pcsTime(new Date(now.getTime() + COLLATERAL_DAYS * DAY_MS));
  const tcbInfo = JSON.stringify(tcbInfoBody(profile, issueDate, nextUpdate));
  const qeIdentity = JSON.stringify(qeIdentityBody(profile, issueDate, nextUpdate));
  const signingChain = chain.tcbSigning.certificate.toString('pem') + '\n' + rootPem(chain);

  return {
    tcb_info: tcbInfo,
    tcb_info_signature: await sign(chain, tcbInfo),
    tcb_info_issuer_chain: signingChain,
    qe_identity: qeIdentity,
    qe_identity_signature: await sign(chain, qeIdentity),
    qe_identity_issuer_chain: signingChain,
    root_ca_crl: Buffer.from(chain.rootCrl.rawData).toString('hex'),
    pck_crl: Buffer.from(chain.pckCrl.rawData).toString('hex'),
    pck_crl_issuer_chain: chain.platformCa.certificate.toString('pem') + '\n' + rootPem(chain),
  };
}

function rootPem(chain: SimulatedChain) {
  return `${chain.root.certificate.toString('pem')}\n`;
}

// PCS writes times to the second with a Z suffix.
function pcsTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

const svns = (values: readonly number[]) => values.map((svn) => ({ svn }));

/**
 * Two platform levels: the profile's components UpToDate, and one below them OutOfDate. A TD
 * whose TEE_TCB_SVN byte 2 is below both levels therefore gets "TCB not supported".
 */
function tcbInfoBody(profile: CollateralProfile, issueDate: string, nextUpdate: string) {
  const older = profile.tdxTcbComponents.map((svn, index) =>
    index === 2 ? Math.max(1, svn - 1) : svn,
  );
  const level = (tdx: readonly number[], tcbStatus: string, tcbDate: string) => ({
    tcb: {
      sgxtcbcomponents: svns(profile.sgxTcbComponents),
      pcesvn: profile.pceSvn,
      tdxtcbcomponents: svns(tdx),
    },
    tcbDate,
    tcbStatus,
  });
  const module = {
    mrsigner: '0'.repeat(96),
    attributes: '0'.repeat(16),
    attributesMask: 'F'.repeat(16),
  };
  return {
    id: 'TDX',
    version: 3,
    issueDate,
    nextUpdate,
    fmspc: profile.fmspc,
    pceId: profile.pceId,
    tcbType: 0,
    tcbEvaluationDataNumber: EVALUATION_DATA_NUMBER,
    tdxModule: module,
    tdxModuleIdentities: [
      {
        id: 'TDX_01',
        ...module,
        tcbLevels: [
          {
            tcb: { isvsvn: profile.moduleIsvSvn },
            tcbDate: '2025-01-01T00:00:00Z',
            tcbStatus: 'UpToDate',
          },
          { tcb: { isvsvn: 1 }, tcbDate: '2024-01-01T00:00:00Z', tcbStatus: 'OutOfDate' },
        ],
      },
    ],
    tcbLevels: [
      level(profile.tdxTcbComponents, 'UpToDate', '2025-01-01T00:00:00Z'),
      level(older, 'OutOfDate', '2024-01-01T00:00:00Z'),
    ],
  };
}

function qeIdentityBody(profile: CollateralProfile, issueDate: string, nextUpdate: string) {
  return {
    id: 'TD_QE',
    version: 2,
    issueDate,
    nextUpdate,
    tcbEvaluationDataNumber: EVALUATION_DATA_NUMBER,
    miscselect: '00000000',
    miscselectMask: 'FFFFFFFF',
    attributes: profile.qeAttributes,
    attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: profile.qeMrSigner,
    isvprodid: profile.qeIsvProdId,
    tcbLevels: [
      {
        tcb: { isvsvn: profile.qeIsvSvn },
        tcbDate: '2025-01-01T00:00:00Z',
        tcbStatus: 'UpToDate',
      },
    ],
  };
}

// Intel signs the exact bytes of the inner object with ECDSA P-256, raw r‖s in hex.
async function sign(chain: SimulatedChain, text: string): Promise<string> {
  const signature = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    chain.tcbSigning.keys.privateKey,
    Buffer.from(text, 'utf8'),
  );
  return Buffer.from(signature).toString('hex');
}
