import type { DemoReport } from '../demo/report.js';
import { DEMO_PROFILES, type EvidenceResult, type MatrixCell } from '../demo/matrix.js';
import type { Finding } from '../posture/types.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; max-width: 80rem; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
th, td { border: 1px solid #c8c8c8; padding: 0.35rem 0.5rem; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
.found { background: #fde2e1; }
.clean { background: #e3f4e1; }
.ram { background: #fff6d6; }
.pass { color: #1f7a1f; } .fail { color: #b3261e; font-weight: bold; } .warn { color: #8a6100; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.85rem; }
pre { white-space: pre-wrap; word-break: break-all; margin: 0; }
.note { color: #555; }
`;

function cellHtml(cell: MatrixCell, total: number): string {
  if (cell.evidenceScanned === 0) return '<td>n/a</td>';
  if (cell.valuesFound === 0) return '<td class="clean">none</td>';
  const onDisk = cell.valuesFound - cell.valuesInRamOnly;
  const cls = onDisk === 0 ? 'ram' : 'found';
  const example = cell.example
    ? `<br><span class="note">e.g. <code>${escapeHtml(cell.example.hit.value)}</code> ` +
      `(${escapeHtml(cell.example.hit.encoding)}) in <code>${escapeHtml(cell.example.hit.where)}</code></span>`
    : '';
  const ram = cell.valuesInRamOnly > 0 ? ` (${cell.valuesInRamOnly} only in RAM)` : '';
  return `<td class="${cls}">${cell.valuesFound} of ${total} values${ram}${example}</td>`;
}

function matrixHtml(report: DemoReport): string {
  const rows = report.matrix
    .map(
      (row) =>
        `<tr><th>${escapeHtml(row.label)}<br><span class="note">${row.protection}</span></th>` +
        DEMO_PROFILES.map((p) => cellHtml(row.cells[p], report.valueCount)).join('') +
        '</tr>',
    )
    .join('\n');
  return `<table><tr><th>place</th>${DEMO_PROFILES.map((p) => `<th>${p}</th>`).join('')}</tr>\n${rows}</table>`;
}

function verdictsHtml(report: DemoReport): string {
  const rows = report.verdicts
    .map(
      (v) =>
        `<tr><th>${v.protection}</th>` +
        DEMO_PROFILES.map(
          (p) =>
            `<td class="${verdictClass(v.status[p])}">${escapeHtml(v.status[p])}<br>` +
            `<span class="note">${escapeHtml(v.detail[p])}</span></td>`,
        ).join('') +
        '</tr>',
    )
    .join('\n');
  return `<table><tr><th>protection</th>${DEMO_PROFILES.map((p) => `<th>${p}</th>`).join('')}</tr>\n${rows}</table>`;
}

function verdictClass(status: string) {
  if (status === 'protected') return 'pass';
  if (status === 'not protected') return 'fail';
  return 'warn';
}

function checksHtml(report: DemoReport): string {
  const byId = new Map<string, Partial<Record<string, Finding>>>();
  for (const profile of DEMO_PROFILES) {
    for (const finding of report.checks[profile]?.findings ?? []) {
      byId.set(finding.id, { ...byId.get(finding.id), [profile]: finding });
    }
  }
  const rows = [...byId.entries()]
    .map(([id, findings]) => {
      const any = Object.values(findings)[0]!;
      const cells = DEMO_PROFILES.map((p) => {
        const f = findings[p];
        return f
          ? `<td><span class="${statusClass(f.status)}">${f.status}</span><br>` +
              `<span class="note">${escapeHtml(f.observed)}</span></td>`
          : '<td>n/a</td>';
      }).join('');
      return `<tr><td><code>${id}</code></td><td>${escapeHtml(any.title)}</td>${cells}</tr>`;
    })
    .join('\n');
  return `<table><tr><th>id</th><th>check</th>${DEMO_PROFILES.map((p) => `<th>${p}</th>`).join('')}</tr>\n${rows}</table>`;
}

function statusClass(status: string) {
  if (status === 'pass') return 'pass';
  if (status === 'fail' || status === 'error') return 'fail';
  return 'warn';
}

const MAX_HITS_SHOWN = 25;

function hitsHtml(evidence: readonly EvidenceResult[]): string {
  return evidence
    .filter((item) => item.hits.length > 0)
    .map((item) => {
      const rows = item.hits
        .slice(0, MAX_HITS_SHOWN)
        .map(
          (hit) =>
            `<tr><td><code>${escapeHtml(hit.value)}</code><br><span class="note">${escapeHtml(hit.label)}</span></td>` +
            `<td>${escapeHtml(hit.encoding)}</td><td><code>${escapeHtml(hit.where)}</code> @ ${hit.offset}</td>` +
            `<td><pre>${escapeHtml(hit.context)}</pre></td></tr>`,
        )
        .join('\n');
      const more =
        item.hits.length > MAX_HITS_SHOWN
          ? `<p class="note">${item.hits.length - MAX_HITS_SHOWN} more values in report.json</p>`
          : '';
      return (
        `<h3>${item.profile}: ${escapeHtml(item.place)} (${item.medium}, ${escapeHtml(item.label)}): ` +
        `${item.hits.length} values</h3>` +
        `<table><tr><th>value</th><th>encoding</th><th>where</th><th>context</th></tr>\n${rows}</table>${more}`
      );
    })
    .join('\n');
}

function serverNotesHtml(report: DemoReport): string {
  const items: string[] = [];
  for (const profile of DEMO_PROFILES) {
    const server = report.servers[profile];
    if (!server) continue;
    const tmp = server.tmpDirOnRam ? 'tmpdir in RAM' : 'tmpdir on disk';
    items.push(
      `<li>${profile}: MariaDB ${escapeHtml(server.version)}, port ${server.port}, ${tmp}</li>`,
    );
    if (server.wireNote) items.push(`<li>${profile}: ${escapeHtml(server.wireNote)}</li>`);
    for (const statement of server.rejected) {
      items.push(`<li>${profile} rejected <code>${escapeHtml(statement)}</code></li>`);
    }
  }
  return `<ul>${items.join('\n')}</ul>`;
}

/** Renders the demo report as one self-contained HTML page. */
export function renderDemoHtml(report: DemoReport): string {
  const limits = report.knownLimits
    .map(
      (l) =>
        `<li><b>${escapeHtml(l.place)}</b>: ${escapeHtml(l.cause)} <i>Mitigation:</i> ${escapeHtml(l.mitigation)}</li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mariadb-tdx demo report</title>
<style>${STYLE}</style></head><body>
<h1>mariadb-tdx demo report</h1>
<p class="note">${escapeHtml(report.createdAt)} · ${report.rows + 2} customers · ${report.valueCount} sensitive values · ${report.seconds.toFixed(0)} s${report.redacted ? ' · values redacted' : ''}</p>
<h2>What ran here</h2><ul>${report.simulated.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<h2>Servers</h2>${serverNotesHtml(report)}
<h2>Verdicts</h2>${verdictsHtml(report)}
<h2>Where the data can be read</h2>${matrixHtml(report)}
${limits ? `<h2>Known limits</h2><ul>${limits}</ul>` : ''}
<h2>Posture checks (judged against the hardened profile)</h2>${checksHtml(report)}
<h2>Hits with context</h2>${hitsHtml(report.evidence)}
</body></html>
`;
}
