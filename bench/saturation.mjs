// The saturation view: each variant as fast as autocannon can drive it (req/s, p50/p99, billed vs
// stored), anchors for comparison, a fixed-rate latency run, and the micro-benchmarks. Flags:
// `lib/args.mjs`.
import { fileURLToPath } from 'node:url';
import { supportsAggregate } from './lib/aggregate.mjs';
import { startChild } from './lib/child.mjs';
import { fmt, markdownTable } from './lib/table.mjs';
import { LABELS, OURS, runVariant } from './lib/variants.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const log = (msg) => process.stderr.write(`${msg}\n`);

/**
 * Runs the saturation suite against a started sink. Returns its markdown sections, its target rows
 * (`[name, status, measured]`) and the raw numbers.
 */
export async function saturationBench(opts, sinkInfo) {
  const aggregate = supportsAggregate();
  function variantsFor(framework) {
    const ours = ['metered', ...(aggregate ? ['aggregate'] : [])];
    const anchors = framework === 'fastify' ? ['fetch', 'pool', 'segment'] : [];
    return ['bare', ...ours, ...anchors, 'bare'];
  }

  const saturation = [];
  const fixed = [];
  let micro;
  let memory;
  for (const framework of opts.only) {
    for (const variant of variantsFor(framework)) {
      log(`${framework} ${variant}: ${opts.duration} s, ${opts.connections} connections`);
      saturation.push(await runVariant(framework, variant, sinkInfo, opts));
    }
  }
  if (opts.fixed) {
    for (const framework of opts.only.filter((f) => f !== 'nestjs')) {
      for (const variant of ['bare', 'metered']) {
        log(`${framework} ${variant}: fixed ${opts.rate} req/s, ${opts.duration} s`);
        // Enough connections that a latency spike on a busy machine does not cap the offered rate.
        const connections = Math.max(opts.connections, 100);
        fixed.push(
          await runVariant(framework, variant, sinkInfo, { ...opts, connections }, { rate: opts.rate }),
        );
      }
    }
  }
  if (opts.micro) {
    log('micro-benchmarks');
    const quick = opts.quick ? ['--quick'] : [];
    micro = await startChild(here('micro/track.mjs'), quick, { timeoutMs: 120_000 }).ready();
    memory = await startChild(here('micro/memory.mjs'), [], {
      nodeArgs: ['--expose-gc'],
      timeoutMs: 60_000,
    }).ready();
  }

  // ---- tables ----

  const baselines = {};
  for (const framework of opts.only) {
    const bare = saturation.filter((r) => r.framework === framework && r.variant === 'bare');
    const mean = bare.reduce((s, r) => s + r.rps, 0) / bare.length;
    const spread = Math.abs(bare[0].rps - bare.at(-1).rps) / mean;
    baselines[framework] = { mean, before: bare[0].rps, after: bare.at(-1).rps, spread };
  }

  function stored(r) {
    if (r.variant === 'bare') return '-';
    if (r.variant === 'segment') return `${fmt.int(r.stored.segmentEvents)} (counting endpoint)`;
    const events = r.stored.events === r.stored.total ? '' : ` in ${fmt.int(r.stored.events)} events`;
    return `${fmt.int(r.stored.total)}${events}`;
  }

  /** What the sender itself reports losing: our tracker's dropped/failed counts, an anchor's failures. */
  function senderNotes(drained) {
    if (!drained) return [];
    if (drained.error) return [`shutdown error: ${drained.error.split('\n')[0]}`];
    const out = [];
    const stats = drained.stats;
    if (stats) {
      if (stats.dropped > 0)
        out.push(`tracker dropped ${fmt.int(stats.dropped)} (queue full at maxQueueSize)`);
      if (stats.failed > 0) out.push(`tracker failed ${fmt.int(stats.failed)}`);
      if (stats.retried > 0) out.push(`${fmt.int(stats.retried)} retries`);
    }
    if (drained.failed > 0) out.push(`${fmt.int(drained.failed)} sends failed`);
    if (drained.errors > 0) out.push(`${fmt.int(drained.errors)} delivery errors`);
    if (drained.pending > 0) out.push(`${fmt.int(drained.pending)} still pending`);
    return out;
  }

  let bareSeen = {};
  const satRows = saturation.map((r) => {
    let name = LABELS[r.variant];
    if (r.variant === 'bare') {
      name = bareSeen[r.framework] ? 'bare (after)' : 'bare (before)';
      bareSeen[r.framework] = true;
    }
    const loadErrors = r.errors + r.timeouts + r.non2xx;
    const notes = [];
    if (loadErrors > 0) notes.push(`${loadErrors} load errors`);
    notes.push(...senderNotes(r.app.drained));
    notes.push(`shutdown ${fmt.int(r.app.shutdownMs)} ms`);
    return [
      r.framework,
      name,
      fmt.int(r.rps),
      r.variant === 'bare' ? '-' : fmt.ratio(r.rps / baselines[r.framework].mean),
      fmt.ms(r.p50),
      fmt.ms(r.p99),
      r.variant === 'bare' ? '-' : fmt.int(r.app.billed),
      stored(r),
      fmt.mb(r.app.maxRssKb),
      notes.join('; '),
    ];
  });
  bareSeen = {};

  const saturationTable = markdownTable(
    [
      'framework',
      'variant',
      'req/s',
      'x bare',
      'p50 ms',
      'p99 ms',
      'billed',
      'stored at sink',
      'peak RSS MB',
      'notes',
    ],
    satRows,
  );

  const fixedPairs = opts.only
    .filter((f) => f !== 'nestjs')
    .map((framework) => ({
      framework,
      bare: fixed.find((r) => r.framework === framework && r.variant === 'bare'),
      metered: fixed.find((r) => r.framework === framework && r.variant === 'metered'),
    }))
    .filter((p) => p.bare && p.metered);
  const fixedTable = markdownTable(
    [
      'framework',
      'req/s achieved (bare / metered)',
      'p50 ms bare',
      'p50 ms metered',
      'p99 ms bare',
      'p99 ms metered',
      'p99 difference ms',
      'billed / stored',
    ],
    fixedPairs.map(({ framework, bare, metered }) => [
      framework,
      `${fmt.int(bare.rps)} / ${fmt.int(metered.rps)}`,
      fmt.ms(bare.p50),
      fmt.ms(metered.p50),
      fmt.ms(bare.p99),
      fmt.ms(metered.p99),
      (metered.p99 - bare.p99).toFixed(2),
      `${fmt.int(metered.app.billed)} / ${fmt.int(metered.stored.total)}`,
    ]),
  );

  const microTable = micro
    ? markdownTable(
        ['measure', 'result'],
        [
          ['`tracker.track()` per call (default key)', `${fmt.int(micro.trackNs)} ns`],
          ['`tracker.track()` per call (caller key, quantity)', `${fmt.int(micro.trackWithKeyNs)} ns`],
          ['route meter `begin` + `finish` per request', `${fmt.int(micro.meterNs)} ns`],
          [
            'calibration: `crypto.randomUUID()` per call, same machine and moment',
            `${fmt.int(micro.randomUuidNs)} ns`,
          ],
          [
            `RSS growth, ${fmt.int(memory.events)} events queued while Fluxrate is down`,
            `${memory.rssGrowthMb.toFixed(1)} MB (heap ${memory.heapGrowthMb.toFixed(1)} MB; ${fmt.int(memory.queued)} held, ${fmt.int(memory.dropped)} dropped)`,
          ],
        ],
      )
    : '';

  // ---- targets ----

  const targets = [];
  const check = (name, met, detail) => targets.push([name, met ? 'met' : 'missed', detail]);
  for (const framework of opts.only) {
    const base = baselines[framework].mean;
    for (const r of saturation.filter((x) => x.framework === framework && OURS.has(x.variant))) {
      const ratio = r.rps / base;
      const complete = r.stored.total === r.app.billed;
      if (r.variant === 'aggregate' && framework !== 'nestjs') {
        check(
          `${framework}: aggregated >= 0.95x bare`,
          ratio >= 0.95 && complete,
          `${fmt.ratio(ratio)}, billed ${r.app.billed}, stored ${r.stored.total}`,
        );
      }
      if (r.variant === 'metered') {
        check(
          `${framework}: per-event >= 0.65x bare, all delivered by shutdown`,
          ratio >= 0.65 && complete,
          `${fmt.ratio(ratio)}, billed ${r.app.billed}, stored ${r.stored.total}`,
        );
      }
    }
  }
  if (!aggregate) targets.push(['aggregated mode', 'not run', 'the built tracker has no `aggregate` option']);
  for (const { framework, bare, metered } of fixedPairs) {
    const diff = metered.p99 - bare.p99;
    // A server that could not keep up with the rate has no comparable p99.
    const atRate = Math.min(bare.rps, metered.rps) >= opts.rate * 0.95;
    check(
      `${framework}: p99 at ${opts.rate} req/s within 1 ms of bare`,
      diff <= 1 && atRate,
      `${diff.toFixed(2)} ms${atRate ? '' : ` (rate not reached: ${fmt.int(bare.rps)} / ${fmt.int(metered.rps)} req/s)`}`,
    );
  }
  if (micro) {
    check('`track()` <= 1 µs per call', micro.trackNs <= 1000, `${fmt.int(micro.trackNs)} ns`);
    check(
      '100 000 queued events <= 60 MB extra RSS',
      memory.rssGrowthMb <= 60,
      `${memory.rssGrowthMb.toFixed(1)} MB`,
    );
  }
  const bareNotes = opts.only.map((f) => {
    const b = baselines[f];
    const warn = b.spread > 0.1 ? ' - the two bare runs differ by more than 10%: treat ratios with care' : '';
    return `- ${f}: bare before ${fmt.int(b.before)} req/s, after ${fmt.int(b.after)} req/s, baseline (mean) ${fmt.int(b.mean)} (spread ${(b.spread * 100).toFixed(1)}%)${warn}`;
  });

  const markdown = `## Saturation (${opts.connections} connections)

${opts.duration} s per variant, ${opts.warmup > 0 ? `warm-up ${opts.warmup} s` : 'no warm-up'}.

${saturationTable}

Baselines:
${bareNotes.join('\n')}

"billed" = responses to the billable route that finished with a 2xx (counted in the app); "stored at sink" = usage the
local Fluxrate held after the app's graceful shutdown (SIGTERM, server closed, \`tracker.shutdown({ timeoutMs: 30000 })\`).
Segment's client cannot speak Fluxrate's API: it posts batches to a counting \`/v1/batch\` endpoint in the sink process.

${fixed.length > 0 ? `## Fixed rate (${opts.rate} req/s, ${Math.max(opts.connections, 100)} connections)\n\n${fixedTable}\n` : ''}
${micro ? `## Micro-benchmarks\n\n${microTable}\n` : ''}`;
  return { markdown, targets, raw: { saturation, fixed, micro, memory } };
}
