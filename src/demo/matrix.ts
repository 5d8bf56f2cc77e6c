import { PLACES, type PlaceId, type Protection } from './places.js';

/** Profiles the demo compares, in column order. */
export const DEMO_PROFILES = ['baseline', 'hardened'] as const;
export type DemoProfile = (typeof DEMO_PROFILES)[number];

/** Storage medium of evidence: persistent storage, RAM only (tmpfs), the network or a process. */
export type Medium = 'disk' | 'ram' | 'network' | 'process';

/** One plaintext hit of a sensitive value in one piece of evidence. */
export interface EvidenceHit {
  /** Index of the value in the demo's list of sensitive values. */
  readonly valueIndex: number;
  /** The value, or its hash prefix and length when the run was redacted. */
  readonly value: string;
  /** Column the value comes from, such as `Customers.Individuals.Name`. */
  readonly label: string;
  readonly encoding: string;
  readonly offset: number;
  /** Printable text around the hit; may contain the value itself unless redacted. */
  readonly context: string;
  /** File, memory region or source that contains the hit. */
  readonly where: string;
}

/** A scanned piece of evidence (a file, a dump, a capture) and what was found in it. */
export interface EvidenceResult {
  readonly profile: DemoProfile;
  readonly place: PlaceId;
  readonly medium: Medium;
  readonly label: string;
  readonly bytes: number;
  readonly hits: readonly EvidenceHit[];
}

/** A matrix cell: distinct values found in one place under one profile. */
export interface MatrixCell {
  readonly valuesFound: number;
  /** Distinct values found only on RAM-backed storage (tmpfs), which is not at rest. */
  readonly valuesInRamOnly: number;
  readonly evidenceScanned: number;
  readonly bytesScanned: number;
  /** The evidence with the most distinct values, and one hit from it. */
  readonly example?: { readonly label: string; readonly hit: EvidenceHit } | undefined;
}

/** A row of the matrix. */
export interface MatrixRow {
  readonly place: PlaceId;
  readonly label: string;
  readonly protection: Protection;
  readonly cells: Record<DemoProfile, MatrixCell>;
}

/** Builds the place × profile matrix from scanned evidence. */
export function buildMatrix(results: readonly EvidenceResult[]): MatrixRow[] {
  return PLACES.map((place) => ({
    place: place.id,
    label: place.label,
    protection: place.protection,
    cells: Object.fromEntries(
      DEMO_PROFILES.map((profile) => [
        profile,
        buildCell(results.filter((r) => r.profile === profile && r.place === place.id)),
      ]),
    ) as Record<DemoProfile, MatrixCell>,
  }));
}

function buildCell(results: readonly EvidenceResult[]): MatrixCell {
  const onDisk = new Set<number>();
  const inRam = new Set<number>();
  let example: MatrixCell['example'];
  let bestCount = 0;

  for (const result of results) {
    const distinct = new Set(result.hits.map((hit) => hit.valueIndex));
    const target = result.medium === 'ram' ? inRam : onDisk;
    for (const index of distinct) target.add(index);
    if (distinct.size > bestCount && result.hits[0]) {
      bestCount = distinct.size;
      example = { label: result.label, hit: result.hits[0] };
    }
  }

  for (const index of onDisk) inRam.delete(index);
  return {
    valuesFound: onDisk.size + inRam.size,
    valuesInRamOnly: inRam.size,
    evidenceScanned: results.length,
    bytesScanned: results.reduce((sum, r) => sum + r.bytes, 0),
    example,
  };
}
