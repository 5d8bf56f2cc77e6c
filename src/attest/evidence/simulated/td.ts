import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isErrno, writeNewFile } from '../../../util/fs.js';
import { EvidenceError } from '../errors.js';
import { exportPrivateKeyPem, generateSimulatedChain } from './chain.js';
import { buildCollateral, type CollateralProfile } from './collateral.js';
import type { SimulatedQuotingEnclave, SimulatedTdBody } from './quote.js';

/** Fields of the TD that a caller may choose; hex in quote byte order. */
export interface SimulatedTdChoices {
  readonly mrTd?: string | undefined;
  readonly rtmr0?: string | undefined;
  readonly rtmr1?: string | undefined;
  readonly rtmr2?: string | undefined;
  readonly rtmr3?: string | undefined;
  readonly mrConfigId?: string | undefined;
  /** Sets TDATTRIBUTES.DEBUG, which every default policy rejects. */
  readonly debug?: boolean | undefined;
  /** TEE_TCB_SVN, 32 hex digits; default 04010200…: module 1 ISVSVN 4, component 2 at SVN 2. */
  readonly teeTcbSvn?: string | undefined;
}

/** `simulated-td.json`: the TD's measured fields and its simulated quoting enclave. */
export interface SimulatedTdFile {
  readonly format: 1;
  readonly simulated: true;
  readonly createdAt: string;
  readonly td: Record<keyof SimulatedTdBody, string>;
  readonly qe: {
    readonly qeId: string;
    readonly mrSigner: string;
    readonly mrEnclave: string;
    readonly attributes: string;
    readonly isvProdId: number;
    readonly isvSvn: number;
  };
}

/** Paths of a simulated TD directory. */
export function simulatedTdLayout(dir: string) {
  const root = resolve(dir);
  return {
    root,
    description: join(root, 'simulated-td.json'),
    readme: join(root, 'README-SIMULATED.txt'),
    rootCa: join(root, 'root-ca.pem'),
    pckChain: join(root, 'pck-chain.pem'),
    collateral: join(root, 'collateral.json'),
    policy: join(root, 'policy.json'),
    secretsDir: join(root, 'secrets'),
    attestationKey: join(root, 'secrets', 'attestation-key.pem'),
    pckKey: join(root, 'secrets', 'pck-key.pem'),
  };
}

/** Paths and measured values of a new simulated TD. */
export interface SimulatedTdSummary {
  readonly dir: string;
  readonly simulated: true;
  readonly rootCa: string;
  readonly collateral: string;
  readonly policy: string;
  readonly mrTd: string;
  readonly tdAttributes: string;
  readonly teeTcbSvn: string;
}

// Values of a typical TDX module 1.5 platform. The test collateral lists these components as
// UpToDate and one step lower as OutOfDate.
const SGX_COMPONENTS = [2, 2, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
const PCE_SVN = 11;
const TDX_COMPONENTS = [4, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const DEFAULT_TEE_TCB_SVN = '04010200000000000000000000000000';
const QE_ATTRIBUTES = '11000000000000000000000000000000';
// TDATTRIBUTES is a little-endian u64: SEPT_VE_DISABLE is bit 28, DEBUG bit 0.
const SEPT_VE_DISABLE = '0000001000000000';
const SEPT_VE_DISABLE_AND_DEBUG = '0100001000000000';
const XFAM = 'e71a060000000000';

/**
 * Creates a simulated TD: a test PKI (root, PCK chain, TCB signing certificate, CRLs), signed
 * test collateral, the TD's measurements and a policy that accepts them. With `platformFrom`, the
 * PKI and collateral of another simulated TD are reused, so both TDs chain to one test root.
 */
export async function createSimulatedTd(
  dir: string,
  choices: SimulatedTdChoices = {},
  platformFrom?: string,
): Promise<SimulatedTdSummary> {
  const layout = simulatedTdLayout(dir);
  await createEmptyDir(layout.root);
  await mkdir(layout.secretsDir, { mode: 0o700 });

  const qe = platformFrom
    ? await copyPlatform(simulatedTdLayout(platformFrom), layout)
    : await generatePlatform(layout);
  const td = tdBody(choices);
  const description: SimulatedTdFile = {
    format: 1,
    simulated: true,
    createdAt: new Date().toISOString(),
    td,
    qe,
  };
  await writeNewFile(layout.description, `${JSON.stringify(description, null, 2)}\n`, 0o644);
  await writeNewFile(layout.policy, `${JSON.stringify({ mrTd: [td.mrTd] }, null, 2)}\n`, 0o644);
  await writeNewFile(layout.readme, README, 0o644);

  return {
    dir: layout.root,
    simulated: true,
    rootCa: layout.rootCa,
    collateral: layout.collateral,
    policy: layout.policy,
    mrTd: td.mrTd,
    tdAttributes: td.tdAttributes,
    teeTcbSvn: td.teeTcbSvn,
  };
}

const README = `SIMULATED TD - NOT TDX HARDWARE

Quotes made from this directory have the real TDX quote layout but are signed by a test
certificate chain generated on this machine (root-ca.pem). No verifier accepts them unless it is
given root-ca.pem explicitly, for example: mariadb-tdx kbs serve --trust-simulated-root root-ca.pem.
secrets/ holds the simulated attestation and PCK keys. Use this directory for tests only.
`;

async function createEmptyDir(root: string) {
  try {
    if ((await readdir(root)).length > 0) {
      throw new EvidenceError('SIMULATED_TD_INVALID', `${root} exists and is not empty`, {
        hint: 'choose a new --dir',
      });
    }
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  await mkdir(root, { recursive: true, mode: 0o700 });
}

function tdBody(choices: SimulatedTdChoices): Record<keyof SimulatedTdBody, string> {
  const hex = (value: string | undefined, bytes: number, name: string) => {
    if (value === undefined) return randomBytes(bytes).toString('hex');
    if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(value)) {
      throw new EvidenceError('SIMULATED_TD_INVALID', `${name} must be ${bytes * 2} hex digits`);
    }
    return value.toLowerCase();
  };
  return {
    teeTcbSvn:
      choices.teeTcbSvn === undefined
        ? DEFAULT_TEE_TCB_SVN
        : hex(choices.teeTcbSvn, 16, 'TEE_TCB_SVN'),
    mrSeam: randomBytes(48).toString('hex'),
    mrSignerSeam: '0'.repeat(96),
    seamAttributes: '0'.repeat(16),
    tdAttributes: choices.debug ? SEPT_VE_DISABLE_AND_DEBUG : SEPT_VE_DISABLE,
    xfam: XFAM,
    mrTd: hex(choices.mrTd, 48, 'MRTD'),
    mrConfigId:
      choices.mrConfigId === undefined ? '0'.repeat(96) : hex(choices.mrConfigId, 48, 'MRCONFIGID'),
    mrOwner: '0'.repeat(96),
    mrOwnerConfig: '0'.repeat(96),
    rtmr0: hex(choices.rtmr0, 48, 'RTMR0'),
    rtmr1: hex(choices.rtmr1, 48, 'RTMR1'),
    rtmr2: hex(choices.rtmr2, 48, 'RTMR2'),
    rtmr3: choices.rtmr3 === undefined ? '0'.repeat(96) : hex(choices.rtmr3, 48, 'RTMR3'),
  };
}

async function generatePlatform(layout: ReturnType<typeof simulatedTdLayout>) {
  const now = new Date();
  const qe = {
    qeId: randomBytes(16).toString('hex'),
    mrSigner: randomBytes(32).toString('hex'),
    mrEnclave: randomBytes(32).toString('hex'),
    attributes: QE_ATTRIBUTES,
    isvProdId: 2,
    isvSvn: 4,
  };
  const fmspc = randomBytes(6);
  const chain = await generateSimulatedChain(
    {
      ppid: randomBytes(16),
      sgxTcbComponents: SGX_COMPONENTS,
      pceSvn: PCE_SVN,
      cpuSvn: Buffer.from(SGX_COMPONENTS),
      pceId: Buffer.alloc(2),
      fmspc,
    },
    now,
  );
  const profile: CollateralProfile = {
    fmspc: fmspc.toString('hex').toUpperCase(),
    pceId: '0000',
    sgxTcbComponents: SGX_COMPONENTS,
    pceSvn: PCE_SVN,
    tdxTcbComponents: TDX_COMPONENTS,
    moduleIsvSvn: TDX_COMPONENTS[0]!,
    qeMrSigner: qe.mrSigner.toUpperCase(),
    qeIsvProdId: qe.isvProdId,
    qeIsvSvn: qe.isvSvn,
    qeAttributes: QE_ATTRIBUTES,
  };
  const collateral = await buildCollateral(profile, chain, now);

  const pem = (certificate: { toString(format: 'pem'): string }) => certificate.toString('pem');
  await writeNewFile(layout.rootCa, `${pem(chain.root.certificate)}\n`, 0o644);
  const pckChain = [chain.pck, chain.platformCa, chain.root].map((entry) => pem(entry.certificate));
  await writeNewFile(layout.pckChain, `${pckChain.join('\n')}\n`, 0o644);
  await writeNewFile(layout.collateral, `${JSON.stringify(collateral, null, 2)}\n`, 0o644);
  await writeNewFile(layout.pckKey, await exportPrivateKeyPem(chain.pck.keys.privateKey));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeNewFile(layout.attestationKey, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return qe;
}

async function copyPlatform(
  from: ReturnType<typeof simulatedTdLayout>,
  to: ReturnType<typeof simulatedTdLayout>,
) {
  const source = await readSimulatedTdFile(from.description);
  for (const key of ['rootCa', 'pckChain', 'collateral', 'pckKey', 'attestationKey'] as const) {
    await copyFile(from[key], to[key]);
  }
  return source.qe;
}

async function readSimulatedTdFile(path: string): Promise<SimulatedTdFile> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<SimulatedTdFile>;
    if (parsed.format === 1 && parsed.simulated === true && parsed.td && parsed.qe) {
      return parsed as SimulatedTdFile;
    }
  } catch (error) {
    throw new EvidenceError('SIMULATED_TD_INVALID', `${path} cannot be read as a simulated TD`, {
      hint: 'create one with: mariadb-tdx simulate td --dir DIR',
      cause: error,
    });
  }
  throw new EvidenceError('SIMULATED_TD_INVALID', `${path} is not a simulated TD description`, {
    hint: 'create one with: mariadb-tdx simulate td --dir DIR',
  });
}

/** A loaded simulated TD, ready to sign quotes. */
export interface LoadedSimulatedTd {
  readonly dir: string;
  readonly body: SimulatedTdBody;
  readonly qe: SimulatedQuotingEnclave;
}

/** Loads a simulated TD directory with its keys. */
export async function loadSimulatedTd(dir: string): Promise<LoadedSimulatedTd> {
  const layout = simulatedTdLayout(dir);
  const file = await readSimulatedTdFile(layout.description);
  const body = Object.fromEntries(
    Object.entries(file.td).map(([name, hex]) => [name, Buffer.from(hex, 'hex')]),
  ) as unknown as SimulatedTdBody;
  const [attestationKey, pckKey, pckChainPem] = await Promise.all([
    readFile(layout.attestationKey, 'utf8'),
    readFile(layout.pckKey, 'utf8'),
    readFile(layout.pckChain, 'utf8'),
  ]);
  return {
    dir: layout.root,
    body,
    qe: {
      qeId: Buffer.from(file.qe.qeId, 'hex'),
      mrSigner: Buffer.from(file.qe.mrSigner, 'hex'),
      mrEnclave: Buffer.from(file.qe.mrEnclave, 'hex'),
      attributes: Buffer.from(file.qe.attributes, 'hex'),
      isvProdId: file.qe.isvProdId,
      isvSvn: file.qe.isvSvn,
      attestationKey: createPrivateKey(attestationKey),
      pckKey: createPrivateKey(pckKey),
      pckChainPem,
    },
  };
}
