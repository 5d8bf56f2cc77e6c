import type { PlaceId } from './places.js';
import { DEMO_PROFILES, type DemoProfile, type MatrixRow } from './matrix.js';

/** Outcome of one protection under one profile. */
export type VerdictStatus =
  'protected' | 'protected except known limits' | 'not enforced' | 'not protected';

/** Facts about each server that the verdicts need besides the matrix. */
export interface VerdictContext {
  /** True when the server's key file lies on its disk in clear. */
  readonly keysInClear: Record<DemoProfile, boolean>;
  /** True when the server accepts client connections without TLS. */
  readonly plainTcpAccepted: Record<DemoProfile, boolean>;
}

/** A verdict line of the demo: one protection, judged per profile. */
export interface Verdict {
  readonly protection: 'at rest' | 'in transit' | 'in use';
  readonly status: Record<DemoProfile, VerdictStatus>;
  readonly detail: Record<DemoProfile, string>;
}

/** Plaintext that MariaDB leaves in a place whatever its configuration, with the remedy. */
export interface KnownLimit {
  readonly place: PlaceId;
  readonly cause: string;
  readonly mitigation: string;
}

/** Places where MariaDB 10.11 writes plaintext that no server setting encrypts. */
export const KNOWN_LIMITS: readonly KnownLimit[] = [
  {
    place: 'aria-log',
    cause:
      'MariaDB never encrypts the Aria transaction log (aria_log.*); aria_encrypt_tables covers ' +
      'only the table files.',
    mitigation:
      'Keep sensitive data in InnoDB tables (ALTER TABLE ... ENGINE=InnoDB); check reports ' +
      'tables in other engines.',
  },
  {
    place: 'metadata',
    cause:
      '.frm files keep column defaults, comments and CHECK expressions in clear; no setting ' +
      'encrypts them.',
    mitigation:
      'Keep sensitive values out of DDL: no defaults, comments or constraints that contain them.',
  },
  {
    place: 'logs',
    cause: 'The error, general, slow and audit logs are never encrypted.',
    mitigation: 'Keep the general and slow logs off, as the hardened profile does.',
  },
];

const limitPlaces = new Set(KNOWN_LIMITS.map((limit) => limit.place));

/** Judges each protection per profile from the matrix and the servers' configuration. */
export function judge(rows: readonly MatrixRow[], context: VerdictContext): Verdict[] {
  return [judgeAtRest(rows, context), judgeInTransit(rows, context), judgeInUse()];
}

const KEYS_IN_CLEAR =
  'the key file lies beside the data in clear (the development default of up; up --kbs keeps ' +
  'keys in RAM), so a copy of the disk decrypts everything';

function judgeAtRest(rows: readonly MatrixRow[], context: VerdictContext): Verdict {
  const status = {} as Record<DemoProfile, VerdictStatus>;
  const detail = {} as Record<DemoProfile, string>;

  for (const profile of DEMO_PROFILES) {
    const leaking = rows.filter(
      (row) =>
        row.protection === 'at rest' &&
        row.cells[profile].valuesFound - row.cells[profile].valuesInRamOnly > 0,
    );
    const unexpected = leaking.filter((row) => !limitPlaces.has(row.place));
    const limited = leaking.filter((row) => limitPlaces.has(row.place));

    if (unexpected.length > 0) {
      status[profile] = 'not protected';
      const also = limited.length > 0 ? `; also ${limited.map((r) => r.label).join('; ')}` : '';
      detail[profile] = `plaintext on disk in ${unexpected.map((r) => r.label).join('; ')}${also}`;
    } else if (limited.length > 0) {
      status[profile] = 'protected except known limits';
      detail[profile] =
        `plaintext only where MariaDB never encrypts: ${limited.map((r) => r.label).join('; ')}`;
    } else {
      status[profile] = 'protected';
      detail[profile] = 'no sensitive value found in any file on disk';
    }

    if (context.keysInClear[profile]) {
      if (status[profile] === 'protected') status[profile] = 'protected except known limits';
      detail[profile] = `${detail[profile]}; but ${KEYS_IN_CLEAR}`;
    }
  }
  return { protection: 'at rest', status, detail };
}

function judgeInTransit(rows: readonly MatrixRow[], context: VerdictContext): Verdict {
  const wire = rows.find((row) => row.place === 'wire');
  const status = {} as Record<DemoProfile, VerdictStatus>;
  const detail = {} as Record<DemoProfile, string>;

  for (const profile of DEMO_PROFILES) {
    const found = wire?.cells[profile].valuesFound ?? 0;
    if (found > 0) {
      status[profile] = 'not protected';
      detail[profile] = `${found} values readable in the recorded client connection`;
    } else if (context.plainTcpAccepted[profile]) {
      // The demo's client chose TLS; the server would have accepted a connection without it.
      status[profile] = 'not enforced';
      detail[profile] =
        'no sensitive value in the recorded connection, which used TLS by choice: the server ' +
        'also accepts plain TCP (require_secure_transport=OFF)';
    } else {
      status[profile] = 'protected';
      detail[profile] = 'no sensitive value in the recorded client connection; TLS is required';
    }
  }
  return { protection: 'in transit', status, detail };
}

function judgeInUse(): Verdict {
  const text =
    'no TD: the server runs in an ordinary process, so a memory dump shows the values; ' +
    'inside a TDX Trust Domain the host sees only ciphertext';
  return {
    protection: 'in use',
    status: { baseline: 'not protected', hardened: 'not protected' },
    detail: { baseline: text, hardened: text },
  };
}
