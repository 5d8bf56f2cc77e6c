import Table from 'cli-table3';

/**
 * Renders rows as a text table with a header, sized to its contents unless `widths` fixes the
 * column widths in characters (longer text wraps).
 */
export function renderTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  widths?: readonly number[],
): string {
  const table = new Table({
    head: [...head],
    style: { head: [], border: [] },
    wordWrap: true,
    ...(widths ? { colWidths: [...widths] } : {}),
  });
  for (const row of rows) table.push([...row]);
  return table.toString();
}

/** Renders `label  value` pairs aligned on the longest label. */
export function renderPairs(pairs: readonly (readonly [string, string])[], indent = 2): string {
  const width = Math.max(0, ...pairs.map(([label]) => label.length));
  return pairs
    .map(([label, value]) => `${' '.repeat(indent)}${label.padEnd(width)}  ${value}`)
    .join('\n');
}
