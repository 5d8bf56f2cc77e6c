import type { ScanReport } from '../scan/scan.js';
import type { HitLocation, ValueResult } from '../scan/results.js';
import { formatBytes, formatCount } from '../scan/format.js';
import type { ExcludedInput } from '../scan/sources/types.js';
import { createStyle } from './style.js';
import { renderTable } from './table.js';

/** Found values listed in the table; the JSON report lists all of them. */
const MAX_ROWS = 50;
/** Found values whose context is printed below the table. */
const MAX_CONTEXTS = 10;
/** Rejected values, skipped inputs and excluded entries listed one per line. */
const MAX_LISTED = 20;

/** Options of a rendered report, with facts that only the CLI has. */
export interface RenderOptions {
  readonly redact: boolean;
  /** Values given more than once and searched once. */
  readonly duplicates?: number | undefined;
}

/** Shows a value, or in a redacted report its fingerprint and length. */
function valueCell(value: { value?: string | undefined; hash: string; length: number }): string {
  return value.value ?? `${value.hash} (${formatCount(value.length, 'byte')})`;
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

function contextLines(value: ValueResult): string[] {
  const first = value.first[0];
  if (!first?.context) return [];
  const { before, match, after } = first.context;
  return [
    `  ${valueCell(value)}: ${first.encoding} at ${describeLocation(first)}`,
    ...before.map((line) => `    - ${line}`),
    `    > ${match}`,
    ...after.map((line) => `    + ${line}`),
  ];
}

/** Lists at most MAX_LISTED items, one line each, then a line with the count of the rest. */
function listed<T>(items: readonly T[], line: (item: T) => string): string[] {
  const lines = items.slice(0, MAX_LISTED).map(line);
  if (items.length > MAX_LISTED)
    lines.push(`  … and ${items.length - MAX_LISTED} more (see --json)`);
  return lines;
}

function foundLines(found: readonly ValueResult[], redact: boolean) {
  const lines = ['', `${formatCount(found.length, 'value')} found in plaintext:`];
  const rows = found
    .slice(0, MAX_ROWS)
    .map((v) => [
      valueCell(v),
      v.label ?? '',
      String(v.hits),
      encodingCell(v),
      v.first[0] ? describeLocation(v.first[0]) : '',
    ]);
  lines.push(renderTable(['value', 'column', 'hits', 'encodings', 'first hit'], rows));
  if (found.length > MAX_ROWS) lines.push(`  … and ${found.length - MAX_ROWS} more (see --json)`);
  if (redact) {
    lines.push('Context of the hits: left out, because the report is redacted.');
    return lines;
  }
  const contexts = found.slice(0, MAX_CONTEXTS).flatMap(contextLines);
  if (contexts.length > 0) {
    lines.push(
      '',
      'Context of the first hits (strings before -, the hit >, after +):',
      ...contexts,
    );
  }
  return lines;
}

/** Says which values and which encoded forms were not searched, and why. */
function valueNotes(report: ScanReport, options: RenderOptions): string[] {
  const lines: string[] = [];
  const byIndex = new Map<number, ValueResult>();
  for (const value of report.values) byIndex.set(value.index, value);

  if (report.rejected.length > 0) {
    lines.push('', `${formatCount(report.rejected.length, 'value')} not searched:`);
    lines.push(
      ...listed(report.rejected, (r) => {
        const label = r.label ? ` (${r.label})` : '';
        return `  value ${r.index + 1}${label}, ${formatCount(r.length, 'byte')}: ${r.reason}`;
      }),
    );
  }
  const partial = report.values.filter((v) => v.tooShort.length > 0);
  if (partial.length > 0) {
    lines.push(
      '',
      `${formatCount(partial.length, 'value')} searched without the encoded forms shorter than ${report.summary.minLength} bytes:`,
    );
    lines.push(
      ...listed(partial, (v) => {
        const forms = v.tooShort.map((f) => `${f.encoding} ${formatCount(f.length, 'byte')}`);
        return `  ${valueCell(options.redact ? { ...v, value: undefined } : v)}: ${forms.join(', ')}`;
      }),
    );
  }
  if (options.duplicates) {
    lines.push(
      '',
      `${formatCount(options.duplicates, 'value')} given more than once, searched once.`,
    );
  }
  return lines;
}

function excludedLines(excluded: readonly ExcludedInput[]): string[] {
  if (excluded.length === 0) return [];
  const counts = new Map<string, number>();
  for (const entry of excluded) counts.set(entry.kind, (counts.get(entry.kind) ?? 0) + 1);
  const summary = [...counts].map(([kind, count]) => formatCount(count, kind)).join(', ');
  return [
    '',
    `Not read by design: ${summary}.`,
    ...listed(excluded, (e) => `  ${e.path}: ${e.kind}, ${e.reason}`),
  ];
}

/** Renders a scan report for a terminal: summary, found values, context, and what was skipped. */
export function renderScanReport(report: ScanReport, options: RenderOptions): string {
  const style = createStyle();
  const s = report.summary;
  const found = report.values.filter((v) => v.found);
  const lines = [
    `Scanned ${formatBytes(s.bytesScanned)} from ${formatCount(report.sources.length, 'source')} ` +
      `in ${s.seconds.toFixed(2)} s (${(s.bytesPerSecond / 1e9).toFixed(2)} GB/s, ` +
      `${formatCount(s.workers, 'worker')}): ${formatCount(s.values, 'value')}, ` +
      `${s.valuesFound} found, ${s.valuesNotFound} not found.`,
  ];
  for (const source of report.sources) {
    const detail = source.detail ? `, ${source.detail}` : '';
    lines.push(
      style.dim(`  ${source.name}: ${source.kind}, ${formatBytes(source.bytes)}${detail}`),
    );
  }

  if (found.length > 0) {
    const [blank, heading, ...rest] = foundLines(found, options.redact);
    lines.push(blank!, style.fail(heading!), ...rest);
  } else if (s.complete) {
    lines.push('', style.ok('No value was found.'));
  }

  lines.push(...valueNotes(report, options).map((line) => style.warn(line)));
  lines.push(...excludedLines(report.excluded).map((line) => style.dim(line)));
  if (report.skipped.length > 0) lines.push('');
  lines.push(
    ...listed(report.skipped, (skip) =>
      style.warn(
        `skipped ${skip.path ?? skip.region ?? skip.source}: ${skip.reason} (${skip.code})`,
      ),
    ),
  );
  for (const problem of report.problems) {
    lines.push(style.fail(`incomplete: ${problem.message} [${problem.code}]`));
  }
  if (found.length === 0 && !s.complete) {
    lines.push(
      style.fail('Not every byte could be scanned, so the absence of hits is not proven.'),
    );
  }
  return `${lines.join('\n')}\n`;
}
