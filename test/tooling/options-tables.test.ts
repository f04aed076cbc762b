// Issue #25: README.md's options table listed `delivery: 'thread'|'worker'` (refused by the parser as an
// unknown option) and left out `coalesce`, `limits` and `outbox`. The options tables of README.md and
// packages/core/README.md are checked here against the option parser itself: every option it accepts is
// documented, and every documented option is accepted.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RETRY_KEYS } from '../../packages/core/src/config/option-parsers.js';
import { TRACKER_KEYS } from '../../packages/core/src/config/options.js';
import { METER_KEYS } from '../../packages/core/src/request/route-meter-options.js';

const read = (file: string) => readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');

/** The first column's `name` of every row of the first table after the heading that starts with `heading`. */
function optionRows(file: string, heading: string): string[] {
  const lines = read(file).split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '').startsWith(heading));
  if (start === -1) throw new Error(`${file}: no heading "${heading}"`);
  const table = lines.slice(start + 1).findIndex((l) => l.startsWith('|'));
  const rows: string[] = [];
  for (const line of lines.slice(start + 1 + table)) {
    if (!line.startsWith('|')) break;
    const name = /^\|\s*`([^`]+)`/.exec(line)?.[1];
    if (name) rows.push(name);
  }
  return rows;
}

const sorted = (names: Iterable<string>) => [...new Set(names)].sort();
const topLevel = (rows: string[]) => sorted(rows.map((r) => r.split('.')[0]!));

describe('the options tables match the option parser', () => {
  const trackerKeys = sorted(TRACKER_KEYS);

  it('README.md: createTracker() options are exactly TRACKER_KEYS, and retry.* exactly RETRY_KEYS', () => {
    const rows = optionRows('README.md', '`createTracker(options)`');
    expect(topLevel(rows)).toEqual(trackerKeys);
    const retry = rows.filter((r) => r.startsWith('retry.')).map((r) => r.slice('retry.'.length));
    expect(sorted(retry)).toEqual(sorted(RETRY_KEYS));
  });

  it('README.md: the adapter options are exactly what the route meter and lifecycle parse', () => {
    expect(sorted(optionRows('README.md', 'Adapter options'))).toEqual(sorted(METER_KEYS));
  });

  it('packages/core/README.md: createTracker() options are exactly TRACKER_KEYS', () => {
    expect(topLevel(optionRows('packages/core/README.md', 'Options (`createTracker`)'))).toEqual(trackerKeys);
  });

  it('finds the rows it checks (a table it cannot read fails, never passes empty)', () => {
    expect(optionRows('README.md', '`createTracker(options)`').length).toBeGreaterThan(10);
  });
});
