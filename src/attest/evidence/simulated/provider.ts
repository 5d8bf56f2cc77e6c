import type { EvidenceProvider } from '../types.js';
import { buildSimulatedQuote, type SimulatedTdBody } from './quote.js';
import { loadSimulatedTd } from './td.js';

/**
 * Evidence from a simulated TD: quotes with the real TDX v4 layout, signed by the simulated
 * platform's test chain. `overrides` replaces measured fields, so tests can present a debug TD
 * or another MRTD from the same platform.
 */
export async function simulatedEvidence(
  dir: string,
  overrides: Partial<SimulatedTdBody> = {},
): Promise<EvidenceProvider> {
  const td = await loadSimulatedTd(dir);
  const body = { ...td.body, ...overrides };
  return {
    kind: 'simulated',
    description: `SIMULATED TD ${td.dir} (test root, not TDX hardware)`,
    quote: async (reportData) => buildSimulatedQuote(body, td.qe, reportData),
  };
}
