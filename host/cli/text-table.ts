/**
 * Two aligned columns of plain text: labels padded on the right, values on
 * the left, so numbers line up by their last digit.
 */
export type Row = readonly [label: string, value: string];

export function formatTable(rows: readonly Row[], indent = '  '): string[] {
  const labelWidth = Math.max(0, ...rows.map(([label]) => label.length));
  const valueWidth = Math.max(0, ...rows.map(([, value]) => value.length));
  return rows.map(
    ([label, value]) => `${indent}${label.padEnd(labelWidth)}  ${value.padStart(valueWidth)}`,
  );
}

/** Integers with thousands separators, readable in a table and locale-independent. */
export function count(value: number): string {
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function seconds(ms: number, digits = 1): string {
  return `${(ms / 1000).toFixed(digits)} s`;
}

export type Align = 'left' | 'right';

/** A table with a header row; each column as wide as its widest cell. */
export function formatColumns(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
  indent = '  ',
): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)),
  );
  return all.map((row) =>
    (
      indent +
      row
        .map((cell, column) => {
          const width = widths[column] ?? 0;
          return align[column] === 'right' ? cell.padStart(width) : cell.padEnd(width);
        })
        .join('  ')
    ).trimEnd(),
  );
}
