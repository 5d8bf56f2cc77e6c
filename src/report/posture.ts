import Table from 'cli-table3';
import { formatEndpoint } from '../util/endpoint.js';
import { CHECK_GROUPS } from '../posture/types.js';
import type { Finding, FindingStatus, PostureCheck, PostureReport } from '../posture/types.js';
import type { Style } from './style.js';

const STATUS_LABELS: Record<FindingStatus, string> = {
  pass: 'pass',
  fail: 'FAIL',
  warn: 'warn',
  not_applicable: 'n/a',
  error: 'ERROR',
};

/** Colours a status label. */
function paintStatus(status: FindingStatus, style: Style): string {
  const label = STATUS_LABELS[status];
  switch (status) {
    case 'pass':
      return style.ok(label);
    case 'fail':
    case 'error':
      return style.fail(label);
    case 'warn':
      return style.warn(label);
    case 'not_applicable':
      return style.dim(label);
  }
}

// A borderless table: columns separated by two spaces, as `ps` or `kubectl get` print them.
const PLAIN_CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '  ',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

const ID_WIDTH = 3;
const STATUS_WIDTH = 5;

/** Widths of the check and observed columns on a terminal of `columns` characters. */
function textWidths(columns: number): [number, number] {
  const rest = Math.max(50, columns - 2 - ID_WIDTH - STATUS_WIDTH - 3 * 2);
  const title = Math.min(48, Math.floor(rest * 0.45));
  return [title, rest - title];
}

/**
 * Wraps text at spaces into lines of at most `width` characters. A word longer than a line, such
 * as a variable=value pair or a path, is split after its last comma, `=`, `/` or `_` that fits,
 * and only at the width when it has none.
 */
export function wrapText(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').flatMap((w) => splitLongWord(w, width))) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines.join('\n');
}

// Break points of a long word, best first: list separators, then assignments, then path and
// name separators.
const BREAK_AFTER = [',', '=', '/', '_', '-', '.'];

function splitLongWord(word: string, width: number): string[] {
  const parts: string[] = [];
  let rest = word;
  while (rest.length > width) {
    const cut = breakPoint(rest, width);
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  parts.push(rest);
  return parts;
}

// Returns the length of the first piece: up to and including the best break character within
// `width`, ignoring breaks in the first quarter of the line, which would leave it nearly empty.
function breakPoint(word: string, width: number): number {
  const minimum = Math.floor(width / 4);
  for (const character of BREAK_AFTER) {
    const index = word.lastIndexOf(character, width - 1);
    if (index >= minimum) return index + 1;
  }
  return width;
}

/** Renders the findings grouped under a heading per group, in catalogue group order. */
export function renderFindingsTable(
  findings: readonly Finding[],
  style: Style,
  columns = 100,
): string {
  const [titleWidth, observedWidth] = textWidths(columns);
  const sections: string[] = [];
  for (const group of CHECK_GROUPS) {
    const inGroup = findings.filter((finding) => finding.group === group);
    if (inGroup.length === 0) continue;

    const table = new Table({
      chars: PLAIN_CHARS,
      colWidths: [ID_WIDTH, STATUS_WIDTH, titleWidth, observedWidth],
      style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    });
    for (const finding of inGroup) {
      table.push([
        finding.id,
        paintStatus(finding.status, style),
        wrapText(finding.title, titleWidth),
        wrapText(finding.observed, observedWidth),
      ]);
    }
    sections.push(`${style.heading(group)}\n${trimLines(table.toString())}`);
  }
  return sections.join('\n\n');
}

// cli-table3 pads the last column to its width; trailing spaces only get in the way of copying.
function trimLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Renders what to change: expected value and advice for every finding that did not pass. */
export function renderAdvice(findings: readonly Finding[], style: Style): string {
  const open = findings
    .filter((f) => f.status === 'fail' || f.status === 'warn' || f.status === 'error')
    .sort((a, b) => CHECK_GROUPS.indexOf(a.group) - CHECK_GROUPS.indexOf(b.group));
  if (open.length === 0) return '';

  const lines = [style.heading('What to change')];
  for (const finding of open) {
    lines.push(
      `${paintStatus(finding.status, style)} ${finding.id} ${finding.title}`,
      `     expected: ${finding.expected}`,
      `     fix:      ${finding.advice}`,
    );
    if (finding.note) lines.push(style.dim(`     note:     ${finding.note}`));
  }
  return lines.join('\n');
}

/** Renders one line with the count of each status. */
export function renderSummary(report: PostureReport, style: Style): string {
  const { summary } = report;
  const parts = [
    style.ok(`${summary.pass} pass`),
    summary.fail ? style.fail(`${summary.fail} fail`) : `${summary.fail} fail`,
    summary.warn ? style.warn(`${summary.warn} warn`) : `${summary.warn} warn`,
    `${summary.not_applicable} not applicable`,
    summary.error ? style.fail(`${summary.error} error`) : `${summary.error} error`,
  ];
  const count = report.findings.length;
  return `${count} ${count === 1 ? 'check' : 'checks'}: ${parts.join(', ')}`;
}

/** Renders the lines above the table: the server, the profile and whether its certificate was verified. */
export function renderHeader(report: PostureReport, style: Style, caFile?: string): string {
  const { target, server } = report;
  const lines = [
    style.bold(
      `MariaDB ${server.version} at ${formatEndpoint(target.host, target.port)} as ${target.user}, ` +
        `${report.profile} profile`,
    ),
  ];
  if (report.verified) {
    lines.push(`server certificate verified${caFile ? ` against ${caFile}` : ''}`);
  } else {
    lines.push(
      style.fail(
        'UNVERIFIED: the server certificate was not checked (--insecure); a man-in-the-middle ' +
          'could have answered every query below',
      ),
    );
  }
  if (!server.local) {
    lines.push(
      style.dim('remote server: file permissions, tmpdir file system and swap not probed'),
    );
  }
  return lines.join('\n');
}

/** Renders the whole report for a terminal. */
export function renderPostureReport(
  report: PostureReport,
  style: Style,
  options: { columns?: number; caFile?: string } = {},
): string {
  const sections = [
    renderHeader(report, style, options.caFile),
    renderFindingsTable(report.findings, style, options.columns),
    renderAdvice(report.findings, style),
    renderSummary(report, style),
  ];
  return sections.filter((section) => section !== '').join('\n\n');
}

/** Renders the catalogue itself: id, severity, title and expected value of every check. */
export function renderCatalogue(checks: readonly PostureCheck[], style: Style, columns = 100) {
  const [titleWidth, expectedWidth] = textWidths(columns - 4);
  const sections: string[] = [];
  for (const group of CHECK_GROUPS) {
    const table = new Table({
      chars: PLAIN_CHARS,
      colWidths: [ID_WIDTH, 8, titleWidth, expectedWidth],
      style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    });
    for (const check of checks.filter((c) => c.group === group)) {
      table.push([
        check.id,
        check.severity,
        wrapText(check.title, titleWidth),
        wrapText(check.expected, expectedWidth),
      ]);
    }
    sections.push(`${style.heading(group)}\n${trimLines(table.toString())}`);
  }
  return sections.join('\n\n');
}
