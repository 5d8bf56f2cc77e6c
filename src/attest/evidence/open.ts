import { EvidenceError } from './errors.js';
import { tsmEvidence } from './tsm.js';
import type { EvidenceKind, EvidenceProvider } from './types.js';

/** Options of {@link openEvidence}. */
export interface OpenEvidenceOptions {
  /** Directory of a simulated TD, required for `simulated`. */
  readonly simulatedTd?: string | undefined;
  /** configfs-tsm report directory for `tdx`; default /sys/kernel/config/tsm/report. */
  readonly tsmDir?: string | undefined;
}

/** Opens the evidence source of a TD: configfs-tsm, or a simulated TD without TDX hardware. */
export async function openEvidence(
  kind: EvidenceKind,
  options: OpenEvidenceOptions = {},
): Promise<EvidenceProvider> {
  if (kind === 'tdx') return tsmEvidence(options.tsmDir);
  if (!options.simulatedTd) {
    throw new EvidenceError('SIMULATED_TD_INVALID', 'simulated evidence needs a simulated TD', {
      hint: 'create one with: mariadb-tdx simulate td --dir DIR, then pass --simulated-td DIR',
    });
  }
  const { simulatedEvidence } = await import('./simulated/provider.js');
  return simulatedEvidence(options.simulatedTd);
}
