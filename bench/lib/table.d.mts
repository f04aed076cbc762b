export function markdownTable(header: string[], rows: string[][]): string;
/** The rows of the first markdown table after `heading`, keyed by header; undefined if there is none. */
export function parseTable(text: string, heading: string): Record<string, string>[] | undefined;
export const fmt: Record<'int' | 'ms' | 'ratio' | 'mb', (n: number | undefined) => string>;
