import type { ScanReport } from '../scan/scan.js';
import type { HitLocation, ValueResult } from '../scan/results.js';
import { formatBytes } from '../scan/format.js';
import { createStyle } from './style.js';
import { renderTable } from './table.js';

/** Found values listed in the table; the JSON report lists all of them. */
const MAX_ROWS = 50;
/** Found values whose context is printed below the table. */
const MAX_CONTEXTS = 10;

function valueCell(value: ValueResult, redact: boolean): string {
  return redact || value.value === undefined
    ? `${value.hash} (${value.length} bytes)`
    : value.value;
}

/** Describes where a hit is: file or source, offset, address. */
export function describeLocation(location: HitLocation): string {
  const parts = [location.path ?? location.source];
  if (location.region && !location.path) parts.push(location.region);
  if (location.offset !== undefined) parts.push(`offset ${location.offset}`);
  if (location.address) parts.push(`${location.addressSpace ?? ''} ${location.address}`.trim());
  return parts.join(' ');
}

function encodingCell(value: ValueResult): string {
  return Object.entries(value.encodings)
    .filter(([, hits]) => (hits ?? 0) > 0)
    .map(([encoding, hits]) => `${encoding} ${hits}`)
    .join(', ');
}

function contextLines(value: ValueResult, redact: boolean): string[] {
  const first = value.first[0];
  if (!first?.context) return [];
  const { before, match, after } = first.context;
  return [
    `  ${valueCell(value, redact)}: ${first.encoding} at ${describeLocation(first)}`,
    ...before.map((line) => `    - ${line}`),
    `    > ${match}`,
    ...after.map((line) => `    + ${line}`),
  ];
}

/** Renders a scan report for a terminal: summary, found values, context, and what was skipped. */
export function renderScanReport(report: ScanReport, options: { redact: boolean }): string {
  const style = createStyle();
  const s = report.summary;
  const lines: string[] = [];
  const found = report.values.filter((v) => v.found);

  lines.push(
    `Scanned ${formatBytes(s.bytesScanned)} from ${report.sources.length} source(s) in ${s.seconds.toFixed(2)} s ` +
      `(${(s.bytesPerSecond / 1e9).toFixed(2)} GB/s, ${s.workers} workers): ${s.values} values, ` +
      `${s.valuesFound} found, ${s.valuesNotFound} not found.`,
  );
  for (const source of report.sources) {
    lines.push(
      style.dim(
        `  ${source.name}: ${source.kind}, ${formatBytes(source.bytes)}${source.detail ? `, ${source.detail}` : ''}`,
      ),
    );
  }

  if (found.length > 0) {
    lines.push('', style.fail(`${found.length} value(s) found in plaintext:`));
    const rows = found
      .slice(0, MAX_ROWS)
      .map((v) => [
        valueCell(v, options.redact),
        v.label ?? '',
        String(v.hits),
        encodingCell(v),
        v.first[0] ? describeLocation(v.first[0]) : '',
      ]);
    lines.push(renderTable(['value', 'column', 'hits', 'encodings', 'first hit'], rows));
    if (found.length > MAX_ROWS) lines.push(`  … and ${found.length - MAX_ROWS} more (see --json)`);
    if (!options.redact) {
      const contexts = found.slice(0, MAX_CONTEXTS).flatMap((v) => contextLines(v, options.redact));
      if (contexts.length > 0)
        lines.push(
          '',
          'Context of the first hits (strings before -, the hit >, after +):',
          ...contexts,
        );
    }
  } else if (s.complete) {
    lines.push('', style.ok('No value was found.'));
  }

  if (report.rejected.length > 0) {
    lines.push(
      '',
      style.warn(
        `${report.rejected.length} value(s) not searched: ${[...new Set(report.rejected.map((r) => r.reason))].join('; ')}`,
      ),
    );
  }
  for (const skip of report.skipped) {
    lines.push(
      style.warn(
        `skipped ${skip.path ?? skip.region ?? skip.source}: ${skip.reason} (${skip.code})`,
      ),
    );
  }
  for (const problem of report.problems)
    lines.push(style.fail(`incomplete: ${problem.message} [${problem.code}]`));
  if (found.length === 0 && !s.complete)
    lines.push(
      style.fail('Not every byte could be scanned, so the absence of hits is not proven.'),
    );
  return `${lines.join('\n')}\n`;
}
