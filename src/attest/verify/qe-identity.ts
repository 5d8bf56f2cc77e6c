import { JsonFields } from './json-fields.js';
import { parseIsvLevels, type IsvLevel } from './tcb-info.js';

/** Identity (version 2) of Intel's quoting enclave: `TD_QE` for TDX, `QE` for SGX. */
export interface QeIdentity {
  readonly id: string;
  readonly version: number;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly tcbEvaluationDataNumber: number;
  /** MISCSELECT and ATTRIBUTES in report byte order, with their masks. */
  readonly miscSelect: Uint8Array;
  readonly miscSelectMask: Uint8Array;
  readonly attributes: Uint8Array;
  readonly attributesMask: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  /** Levels with the highest ISVSVN first. */
  readonly tcbLevels: readonly IsvLevel[];
}

/** Parses and validates the signed text of an enclave identity object. */
export function parseQeIdentity(text: string, document: string): QeIdentity {
  const root = JsonFields.root(text, document);
  const version = root.integer('version');
  if (version !== 2) root.fail('version', 'must be 2');
  return {
    id: root.string('id'),
    version,
    issueDate: root.date('issueDate'),
    nextUpdate: root.date('nextUpdate'),
    tcbEvaluationDataNumber: root.integer('tcbEvaluationDataNumber'),
    miscSelect: root.hex('miscselect', 4),
    miscSelectMask: root.hex('miscselectMask', 4),
    attributes: root.hex('attributes', 16),
    attributesMask: root.hex('attributesMask', 16),
    mrSigner: root.hex('mrsigner', 32),
    isvProdId: root.integer('isvprodid', 0xffff),
    tcbLevels: parseIsvLevels(root),
  };
}
