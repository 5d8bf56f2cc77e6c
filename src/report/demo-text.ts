import type { DemoReport } from '../demo/report.js';
import { DEMO_PROFILES, type MatrixCell, type MatrixRow } from '../demo/matrix.js';
import type { VerdictStatus } from '../demo/verdict.js';
import { renderTable } from './table.js';
import type { Style } from './style.js';

function cellText(cell: MatrixCell, row: MatrixRow, total: number): string {
  if (cell.evidenceScanned === 0) return 'n/a';
  if (cell.valuesFound === 0) return 'none';
  const onDisk = cell.valuesFound - cell.valuesInRamOnly;
  if (row.protection === 'at rest' && onDisk === 0) {
    return `none on disk (${cell.valuesInRamOnly} in RAM-backed tmpdir)`;
  }
  const lines = [`${cell.valuesFound} of ${total} values`];
  if (cell.example) {
    const hit = cell.example.hit;
    lines.push(`"${truncate(hit.value, 24)}"`, `in ${truncate(shortWhere(hit.where), 30)}`);
  }
  return lines.join('\n');
}

function truncate(text: string, max: number) {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function shortWhere(where: string) {
  const parts = where.split('/');
  return parts.length > 2 ? parts.slice(-2).join('/') : where;
}

function statusText(status: VerdictStatus, style: Style) {
  if (status === 'protected') return style.ok('PROTECTED');
  if (status === 'protected except known limits') return style.warn('PROTECTED, known limits');
  if (status === 'not enforced') return style.warn('NOT ENFORCED');
  return style.fail('NOT PROTECTED');
}

/** Renders the matrix, the verdicts, the known limits and what was simulated, for a terminal. */
export function renderDemoText(report: DemoReport, style: Style): string {
  const head = ['place', ...DEMO_PROFILES];
  const rows = report.matrix.map((row) => [
    row.label,
    ...DEMO_PROFILES.map((profile) => cellText(row.cells[profile], row, report.valueCount)),
  ]);
  const out = [
    style.heading(
      `Where the banking data can be read (${report.valueCount} sensitive values, ` +
        `${report.rows + 2} customers)`,
    ),
    renderTable(head, rows, [30, 34, 34]),
    '',
    style.heading('Verdicts'),
  ];

  for (const verdict of report.verdicts) {
    for (const profile of DEMO_PROFILES) {
      out.push(
        `  ${verdict.protection.padEnd(10)} ${profile.padEnd(8)} ` +
          `${statusText(verdict.status[profile], style)}: ${verdict.detail[profile]}`,
      );
    }
  }

  if (report.knownLimits.length > 0) {
    out.push('', style.heading('Known limits (plaintext MariaDB writes whatever its settings)'));
    for (const limit of report.knownLimits) {
      out.push(`  ${limit.place}: ${limit.cause}`, `    mitigation: ${limit.mitigation}`);
    }
  }

  for (const profile of DEMO_PROFILES) {
    const server = report.servers[profile];
    if (server?.wireNote) out.push('', `${profile}: ${server.wireNote}`);
    for (const statement of server?.rejected ?? []) {
      out.push(`${profile} server rejected: ${statement}`);
    }
  }
  out.push('', style.heading('What ran here'), ...report.simulated.map((line) => `  ${line}`));
  return out.join('\n');
}
