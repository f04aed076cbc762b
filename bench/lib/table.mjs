/** A markdown table from a header row and rows of cells. */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The rows of the first markdown table after `heading` in `text`, as objects keyed by header. */
export function parseTable(text, heading) {
  const start = text.indexOf(heading);
  if (start === -1) return undefined;
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  if (first === -1) return undefined;
  const cells = (l) =>
    l
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  const header = cells(lines[first]);
  const rows = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(Object.fromEntries(cells(l).map((c, i) => [header[i], c])));
  }
  return rows;
}

export const fmt = {
  int: (n) => (n === undefined || n === null ? 'n/a' : Math.round(n).toLocaleString('en-US')),
  ms: (n) => (n === undefined || n === null ? 'n/a' : n.toFixed(2)),
  ratio: (n) => (n === undefined ? 'n/a' : `${n.toFixed(2)}x`),
  mb: (kb) => (kb === undefined ? 'n/a' : (kb / 1024).toFixed(0)),
};
