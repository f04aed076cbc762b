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
const bench = (args: string[]) => {
  const run = spawnSync(process.execPath, ['bench/run.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 90_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
};

// Runs the real suite, shortened, so the benchmark cannot rot: servers, sink, load, shutdown, report.
describe('bench smoke run', () => {
  it.skipIf(missing.length > 0)(
    `runs --quick --only fastify: CPU per request for each variant, then the saturation view, and every event we billed is stored${reason}`,
    () => {
      const stdout = bench(['--quick', '--only', 'fastify']);

      const cpu: Row[] = parseTable(stdout, '## CPU per request') ?? [];
      // Both loaders by default: each variant through `import`, then through `require()`.
      const variants = ['bare', 'Fluxrate, per event', 'Fluxrate, aggregated (1 s windows)'];
      expect(cpu.map((r) => `${r.loader} ${r.variant}`)).toEqual([
        ...variants.map((v) => `import ${v}`),
        ...variants.map((v) => `require() ${v}`),
      ]);
      for (const row of cpu) {
        expect(num(row['median µs']), row.variant).toBeGreaterThan(0);
        expect(num(row['served req/s']), row.variant).toBeGreaterThan(0);
      }
      for (const row of cpu.filter((r) => r.variant !== 'bare')) {
        expect(Number.isFinite(num(row['vs bare µs'])), row.variant).toBe(true);
        expect(num(row['billed / stored'].split(' / ')[1]), row.variant).toBe(num(row['billed / stored']));
      }

      const rows: Row[] = parseTable(stdout, '## Saturation') ?? [];
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

      const targets: Row[] = parseTable(stdout, '## Targets') ?? [];
      expect(targets.map((r) => r.target)).toEqual(
        expect.arrayContaining([
          expect.stringContaining('fastify (import): aggregated adds'),
          expect.stringContaining('fastify (require()): aggregated adds'),
        ]),
      );
    },
    120_000,
  );

  it.skipIf(missing.length > 0)(
    `profile mode cuts a real --cpu-prof profile to the measured window and ranks self time by function and owner${reason}`,
    () => {
      const stdout = bench([
        'profile',
        '--quick',
        '--framework',
        'fastify',
        '--variants',
        'agg',
        '--warmup',
        '0',
      ]);
      expect(stdout).toContain('Measured window only');
      const top: Row[] = parseTable(stdout, 'Top 25 functions') ?? [];
      expect(top.length).toBeGreaterThan(5);
      for (const row of top) expect(num(row['self ms']), row.function).toBeGreaterThan(0);
      const owners: Row[] = parseTable(stdout, 'Self time by owner') ?? [];
      expect(owners.map((r) => r.owner)).toEqual(expect.arrayContaining(['fastify']));
    },
    60_000,
  );

  it.skipIf(missing.length > 0)(
    `degraded mode drains through transient errors per event and through the Redis outbox, storing exactly what it tracked${reason}`,
    () => {
      const stdout = bench(['degraded', '--quick']);
      const rows: Row[] = parseTable(stdout, '## Degraded Fluxrate') ?? [];
      expect(rows.map((r) => r.mode)).toEqual([...Array(5).fill('per-event'), ...Array(5).fill('redis')]);
      for (const row of rows) {
        expect(num(row['events/s']), row['transient errors']).toBeGreaterThan(0);
        const [tracked, stored] = (row['tracked / stored'] ?? '').split(' / ');
        expect(num(stored), row['transient errors']).toBe(num(tracked));
        expect(num(tracked)).toBe(400);
      }
    },
    90_000,
  );
});
