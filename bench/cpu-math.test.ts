import { describe, expect, it } from 'vitest';
import { owner, selfTimes, shortPath } from './lib/cpu-profile.mjs';
import { cpuTargets, median, summarise } from './lib/cpu-report.mjs';

const run = (variant: string, run: number, usPerRequest: number) => ({
  framework: 'fastify',
  variant,
  run,
  usPerRequest,
  served: 24_000,
  windowMs: 8_500,
  load: { errors: 0, timeouts: 0, non2xx: 0 },
  app: { billed: 30_000 },
  stored: { total: 30_000, events: variant === 'aggregate' ? 10 : 30_000 },
});
const opts = { frameworks: ['fastify'], variants: ['bare', 'metered', 'aggregate'], rate: 3000, duration: 8 };

describe('CPU per request summary', () => {
  it('takes the median of the runs (the mean of the middle two for an even count)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 12])).toBe(11);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('reports deltas against the median of bare in µs and in % of bare', () => {
    const rows = summarise(
      [
        run('bare', 1, 10),
        run('metered', 1, 40),
        run('aggregate', 1, 13),
        run('bare', 2, 12),
        run('metered', 2, 50),
        run('aggregate', 2, 15),
      ],
      opts,
    );
    expect(rows.map((r) => [r.variant, r.median, r.deltaUs])).toEqual([
      ['bare', 11, undefined],
      ['metered', 45, 34],
      ['aggregate', 14, 3],
    ]);
    expect(rows[2].deltaPct).toBeCloseTo((3 / 11) * 100);
    expect(rows[1].spread).toBeCloseTo(10 / 45);
    expect(rows.every((r) => r.notes.length === 0)).toBe(true);
    // Aggregated +3 µs is at the 3 µs floor (5% of 11 µs is less); per event +34 µs is under 50.
    expect(cpuTargets(rows).map((t) => t[1])).toEqual(['met', 'met']);
  });

  it("keeps each loader apart: rows per loader, deltas against the same loader's bare", () => {
    const cjs = (variant: string, r: number, us: number) => ({ ...run(variant, r, us), loader: 'cjs' });
    const esm = (variant: string, r: number, us: number) => ({ ...run(variant, r, us), loader: 'esm' });
    const rows = summarise(
      [esm('bare', 1, 10), esm('metered', 1, 40), cjs('bare', 1, 20), cjs('metered', 1, 70)],
      { ...opts, variants: ['bare', 'metered'], loaders: ['esm', 'cjs'] },
    );
    expect(rows.map((r) => [r.loader, r.variant, r.median, r.deltaUs])).toEqual([
      ['esm', 'bare', 10, undefined],
      ['esm', 'metered', 40, 30],
      ['cjs', 'bare', 20, undefined],
      ['cjs', 'metered', 70, 50],
    ]);
    expect(cpuTargets(rows).map((t) => t[0])).toEqual([
      'fastify (import): per event adds <= 50 µs CPU per request',
      'fastify (require()): per event adds <= 50 µs CPU per request',
    ]);
  });

  it('flags a run that did not reach the offered rate or lost events', () => {
    const slow = { ...run('metered', 1, 40), served: 12_000, stored: { total: 29_000, events: 29_000 } };
    const [, metered] = summarise([run('bare', 1, 10), slow], { ...opts, variants: ['bare', 'metered'] });
    expect(metered.notes.join('; ')).toMatch(
      /rate not reached \(1,500 req\/s\).*billed 30,000, stored 29,000/,
    );
  });
});

describe('self time from a .cpuprofile', () => {
  const fastifyUrl = 'file:///repo/node_modules/.pnpm/fastify@5.1.0/node_modules/fastify/lib/reply.js';
  const frame = (functionName: string, url = '', lineNumber = -1) => ({
    functionName,
    url,
    lineNumber,
    columnNumber: 0,
  });
  // Two call sites of one function (nodes 2 and 3), our core (4), idle (5). Samples every 1000 µs from t=1000.
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('send', fastifyUrl, 41) },
      { id: 3, callFrame: frame('send', fastifyUrl, 41) },
      { id: 4, callFrame: frame('finish', 'file:///repo/packages/core/dist/index.js', 9) },
      { id: 5, callFrame: frame('(idle)') },
    ],
    startTime: 0,
    endTime: 9000,
    samples: [2, 2, 3, 4, 5, 5, 2, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };

  it('groups a function over its call sites, counts only the window, and leaves idle out of busy', () => {
    // Window [2000, 7000] holds samples 2..7: send ×3 (nodes 2, 3, 2), finish ×1, idle ×2.
    const r = selfTimes(profile, { fromUs: 2000, toUs: 7000, root: '/repo/' });
    expect(r.windowed).toBe(true);
    expect(r.samples).toBe(6);
    expect(r.intervalMs).toBe(1);
    expect(r.entries.map((e) => [e.fn, e.file, e.line, e.samples])).toEqual([
      ['send', 'fastify/lib/reply.js', 42, 3],
      ['(idle)', '', 0, 2],
      ['finish', 'packages/core/dist/index.js', 10, 1],
    ]);
    expect(r.busyMs).toBe(4);
    expect(r.byOwner).toEqual([
      { name: 'fastify', selfMs: 3 },
      { name: '(idle)', selfMs: 2 },
      { name: '@fluxrate/core', selfMs: 1 },
    ]);
  });

  it('falls back to the whole profile when no sample lies in the window', () => {
    const r = selfTimes(profile, { fromUs: 50_000, toUs: 60_000 });
    expect(r.windowed).toBe(false);
    expect(r.samples).toBe(8);
  });

  it('names owners from paths', () => {
    expect(shortPath('file:///repo/packages/express/dist/index.cjs', '/repo/')).toBe(
      'packages/express/dist/index.cjs',
    );
    expect(owner('packages/express/dist/index.cjs')).toBe('@fluxrate/express');
    expect(owner('@nestjs/core/router/router-execution-context.js')).toBe('@nestjs/core');
    expect(owner('node:internal/streams/writable')).toBe('node');
    expect(owner('')).toBe('(native / V8)');
  });
});
