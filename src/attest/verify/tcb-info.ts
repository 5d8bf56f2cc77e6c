import { JsonFields } from './json-fields.js';

/** Statuses a TCB Info level can carry. */
export const TCB_LEVEL_STATUSES = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
] as const;
export type TcbLevelStatus = (typeof TCB_LEVEL_STATUSES)[number];

/** Statuses of TDX module identity levels and QE identity levels. */
export const ISV_LEVEL_STATUSES = ['UpToDate', 'OutOfDate', 'Revoked'] as const;
export type IsvLevelStatus = (typeof ISV_LEVEL_STATUSES)[number];

export interface TcbLevel {
  readonly sgxComponents: readonly number[];
  readonly pceSvn: number;
  /** Present in TDX TCB Info only. */
  readonly tdxComponents: readonly number[] | undefined;
  readonly tcbDate: string;
  readonly tcbStatus: TcbLevelStatus;
  readonly advisoryIds: readonly string[];
}

/** A level of a TDX module identity or a QE identity, selected by ISVSVN. */
export interface IsvLevel {
  readonly isvSvn: number;
  readonly tcbDate: string;
  readonly tcbStatus: IsvLevelStatus;
  readonly advisoryIds: readonly string[];
}

export interface TdxModule {
  readonly mrSigner: Uint8Array;
  readonly attributes: Uint8Array;
  readonly attributesMask: Uint8Array;
}

export interface TdxModuleIdentity extends TdxModule {
  readonly id: string;
  readonly tcbLevels: readonly IsvLevel[];
}

/** TCB Info (version 3) for one FMSPC, as signed by Intel's TCB signing key. */
export interface TcbInfo {
  readonly id: 'TDX' | 'SGX';
  readonly version: number;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  /** FMSPC as lower-case hex (sources differ in case). */
  readonly fmspc: string;
  readonly pceId: string;
  readonly tcbType: number;
  readonly tcbEvaluationDataNumber: number;
  readonly tdxModule: TdxModule | undefined;
  readonly tdxModuleIdentities: readonly TdxModuleIdentity[];
  /** Levels in Intel's descending order, whatever the order in the file. */
  readonly tcbLevels: readonly TcbLevel[];
}

/** Parses and validates the signed text of a TCB Info object. */
export function parseTcbInfo(text: string, document: string): TcbInfo {
  const root = JsonFields.root(text, document);
  const id = root.oneOf('id', ['TDX', 'SGX'] as const);
  const version = root.integer('version');
  if (version !== 3) root.fail('version', 'must be 3; TCB Info version 2 has no TDX data');

  const levels = root.objects('tcbLevels', 1).map((level) => parseTcbLevel(level, id));
  return {
    id,
    version,
    issueDate: root.date('issueDate'),
    nextUpdate: root.date('nextUpdate'),
    fmspc: Buffer.from(root.hex('fmspc', 6)).toString('hex'),
    pceId: Buffer.from(root.hex('pceId', 2)).toString('hex'),
    tcbType: root.integer('tcbType'),
    tcbEvaluationDataNumber: root.integer('tcbEvaluationDataNumber'),
    tdxModule: id === 'TDX' ? parseTdxModule(root.object('tdxModule')) : undefined,
    tdxModuleIdentities: root.has('tdxModuleIdentities')
      ? root.objects('tdxModuleIdentities').map(parseModuleIdentity)
      : [],
    tcbLevels: sortTcbLevels(levels),
  };
}

function parseTcbLevel(level: JsonFields, id: 'TDX' | 'SGX'): TcbLevel {
  const tcb = level.object('tcb');
  return {
    sgxComponents: parseComponents(tcb, 'sgxtcbcomponents'),
    pceSvn: tcb.integer('pcesvn', 0xffff),
    tdxComponents: id === 'TDX' ? parseComponents(tcb, 'tdxtcbcomponents') : undefined,
    tcbDate: level.dateText('tcbDate'),
    tcbStatus: level.oneOf('tcbStatus', TCB_LEVEL_STATUSES),
    advisoryIds: level.strings('advisoryIDs'),
  };
}

function parseComponents(tcb: JsonFields, key: string): number[] {
  const components = tcb.objects(key, 16);
  if (components.length !== 16) tcb.fail(key, 'must hold exactly 16 components');
  return components.map((component) => component.integer('svn', 0xff));
}

function parseTdxModule(module: JsonFields): TdxModule {
  return {
    mrSigner: module.hex('mrsigner', 48),
    attributes: module.hex('attributes', 8),
    attributesMask: module.hex('attributesMask', 8),
  };
}

function parseModuleIdentity(identity: JsonFields): TdxModuleIdentity {
  return {
    id: identity.string('id'),
    ...parseTdxModule(identity),
    tcbLevels: parseIsvLevels(identity),
  };
}

/** Parses `tcbLevels` of a module or QE identity, highest ISVSVN first. */
export function parseIsvLevels(owner: JsonFields): IsvLevel[] {
  const levels = owner.objects('tcbLevels', 1).map((level) => ({
    isvSvn: level.object('tcb').integer('isvsvn', 0xffff),
    tcbDate: level.dateText('tcbDate'),
    tcbStatus: level.oneOf('tcbStatus', ISV_LEVEL_STATUSES),
    advisoryIds: level.strings('advisoryIDs'),
  }));
  return levels.sort((a, b) => b.isvSvn - a.isvSvn);
}

/**
 * Orders levels as Intel's verifier does: descending by the SGX components compared as a vector,
 * then by PCESVN, then (TDX, equal PCESVN) by the TDX components. The walk that picks a level
 * relies on this order, not on the order in the file.
 */
function sortTcbLevels(levels: TcbLevel[]): TcbLevel[] {
  return [...levels].sort((a, b) => {
    const sgx = compareVectors(b.sgxComponents, a.sgxComponents);
    if (sgx !== 0) return sgx;
    if (a.pceSvn !== b.pceSvn) return b.pceSvn - a.pceSvn;
    return compareVectors(b.tdxComponents ?? [], a.tdxComponents ?? []);
  });
}

function compareVectors(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
/** Finds the module identity `TDX_<version as two hex digits>`, compared case-insensitively. */
export function findModuleIdentity(
  tcbInfo: TcbInfo,
  version: number,
): TdxModuleIdentity | undefined {
  const id = `TDX_${version.toString(16).padStart(2, '0').toUpperCase()}`;
  return tcbInfo.tdxModuleIdentities.find((identity) => identity.id.toUpperCase() === id);
}
