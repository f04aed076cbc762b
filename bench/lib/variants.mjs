import { startChild } from './child.mjs';
import { load } from './load.mjs';

const APPS = new URL('../apps/', import.meta.url);

/** What each variant is, for the table. */
export const LABELS = {
  bare: 'bare',
  metered: 'Fluxrate, per event',
  aggregate: 'Fluxrate, aggregated (1 s windows)',
  redis: 'Fluxrate, per event, Redis outbox (consume: false)',
  fetch: 'anchor: naive fetch() per event',
  pool: 'anchor: fire-and-forget undici Pool',
  segment: 'anchor: Segment analytics-node track()',
};

/** Variants that are ours: their stored usage must equal what was billed. */
export const OURS = new Set(['metered', 'aggregate', 'redis']);

async function getJson(url, init) {
  const res = await fetch(url, init);
  if (res.status === 204) return null;
  return res.json();
}

export async function resetSink(sink) {
  await fetch(`${sink.url}/__admin/reset`, { method: 'POST' });
  await fetch(`${sink.segmentUrl}/reset`, { method: 'POST' });
}

/** What the sink holds now: Fluxrate usage (total and events) and Segment's counted events. */
export async function sinkUsage(sink) {
  const usage = (await getJson(`${sink.url}/__admin/usage`)) ?? [];
  const stats = await getJson(`${sink.url}/__admin/stats`);
  const segment = await getJson(`${sink.segmentUrl}/count`);
  const rows = usage.filter((u) => u.meterToken === sink.token);
  return {
    total: rows.reduce((s, u) => s + u.total, 0),
    events: rows.reduce((s, u) => s + u.eventCount, 0),
    deduplicated: stats?.deduplicated ?? 0,
    segmentEvents: segment?.events ?? 0,
    segmentBatches: segment?.batches ?? 0,
  };
}

/**
 * One variant in its own process: start, warm up, measure, SIGTERM (the app drains and reports),
 * then read what the sink stored. `rate` makes it a fixed-rate run.
 */
export async function runVariant(framework, variant, sink, opts, { rate } = {}) {
  await resetSink(sink);
  const app = startChild(new URL(`${framework}.mjs`, APPS).pathname, [variant], {
    env: { BENCH_SINK: JSON.stringify(sink) },
  });
  try {
    const { port } = await app.ready();
    const url = `http://127.0.0.1:${port}/v1/search`;
    if (opts.warmup > 0) await load(url, { duration: opts.warmup, connections: opts.connections, rate });
    const result = await load(url, { duration: opts.duration, connections: opts.connections, rate });
    const report = await app.stop();
    const stored = await sinkUsage(sink);
    return { framework, variant, ...result, app: report, stored };
  } catch (error) {
    app.kill();
    throw error;
  }
}
