import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTable } from './lib/table.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const missing = ['core', 'fastify', 'local'].filter(
  (pkg) => !existsSync(fileURLToPath(new URL(`../packages/${pkg}/dist/index.js`, import.meta.url))),
);
const reason = missing.length > 0 ? ` (skipped: build ${missing.join(', ')} with tsup first)` : '';

type Row = Record<string, string>;
const num = (cell: string | undefined): number => Number((cell ?? '').replace(/,/g, '').split(' ')[0]);

// Runs the real suite, shortened, so the benchmark cannot rot: servers, sink, load, shutdown, report.
describe('bench smoke run', () => {
  it.skipIf(missing.length > 0)(
    `runs --quick --only fastify and every event we billed is stored${reason}`,
    () => {
      const run = spawnSync(process.execPath, ['bench/run.mjs', '--quick', '--only', 'fastify'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 110_000,
      });
      expect(run.status, run.stderr).toBe(0);

      const rows: Row[] = parseTable(run.stdout, '## Saturation') ?? [];
      expect(rows.map((r) => r.variant)).toEqual(
        expect.arrayContaining([
          'bare (before)',
          'bare (after)',
          'Fluxrate, per event',
          'anchor: naive fetch() per event',
          'anchor: fire-and-forget undici Pool',
          'anchor: Segment analytics-node track()',
        ]),
      );
      for (const row of rows) expect(num(row['req/s']), row.variant).toBeGreaterThan(0);
      const ours = rows.filter((r) => (r.variant ?? '').startsWith('Fluxrate'));
      expect(ours.length).toBeGreaterThan(0);
      for (const row of ours) {
        expect(num(row.billed), row.variant).toBeGreaterThan(0);
        expect(num(row['stored at sink']), row.variant).toBe(num(row.billed));
      }

      const fixed: Row[] = parseTable(run.stdout, '## Fixed rate') ?? [];
      expect(fixed.map((r) => r.framework)).toEqual(['fastify']);
      const targets: Row[] = parseTable(run.stdout, '## Targets') ?? [];
      expect(targets.length).toBeGreaterThan(0);
    },
    120_000,
  );
});
