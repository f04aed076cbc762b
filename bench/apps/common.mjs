// Shared by the benchmark apps: the sink's address, the tracker, the billed-request count, the
// SIGUSR2 CPU marks and the SIGTERM protocol (close the server, drain the tracker, print one JSON
// report line, exit).
import { load } from './loader.mjs';

const { createTracker } = await load('@fluxrate/core');

/** `{ url, apiKey, token, segmentUrl }` of the sink process. */
export const sink = JSON.parse(process.env.BENCH_SINK ?? '{}');

export const CUSTOMER = 'cus_bench';
export const SEARCH_RESULT = {
  query: 'espresso',
  results: [
    { id: 1, title: 'Ristretto' },
    { id: 2, title: 'Lungo' },
  ],
};

let billed = 0;
let served = 0;
/**
 * Counts a served request and one that should bill: its response finished with a 2xx. Attached in
 * every variant, bare included, so they all pay the same for it.
 */
export function countBilled(res) {
  res.once('finish', () => {
    served++;
    if (res.statusCode >= 200 && res.statusCode < 300) billed++;
  });
}

/** Tracker options for each of our variants. */
export function variantOptions(variant) {
  if (variant === 'aggregate') return { aggregate: { windowMs: 1000 } };
  return {};
}

/**
 * `BENCH_METRICS`: unset, core's default (in this repository `@opentelemetry/api` resolves through core's
 * own devDependency, so the metrics listeners run on the API's no-op meter); `off`: `meterProvider: false`
 * (what an app without the api gets: nothing loaded, no listener); `sdk`: an SDK MeterProvider whose
 * reader collects every 5 s into memory (a scrape's worth of work, no network).
 */
async function metricsOption(mode = process.env.BENCH_METRICS) {
  if (mode === undefined || mode === '') return {};
  if (mode === 'off') return { meterProvider: false };
  if (mode !== 'sdk') throw new Error(`BENCH_METRICS: expected off or sdk, got ${mode}`);
  const otel = await import('@opentelemetry/sdk-metrics');
  const exporter = new otel.InMemoryMetricExporter(otel.AggregationTemporality.CUMULATIVE);
  const reader = new otel.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 5_000 });
  return { meterProvider: new otel.MeterProvider({ readers: [reader] }) };
}
const metrics = await metricsOption();

export function benchTracker(extra = {}) {
  return createTracker({
    apiKey: sink.apiKey,
    baseUrl: sink.url,
    meters: { api_calls: sink.token },
    ...metrics,
    ...extra,
  });
}

/**
 * Prints `{ ready, port }`, then on SIGTERM: `closeServer()`, `drain()` (its result goes into the
 * report), and prints `{ billed, maxRssKb, drained, shutdownMs, marks }` before exiting.
 * Each SIGUSR2 records a mark (this process's CPU time, requests served, `stats()` if given): the
 * CPU benchmark sends one before and one after its measured window. Nothing is printed at a mark,
 * so the report stays the second line, and a mark costs nothing on the request path.
 */
export function serve(port, { closeServer, drain = async () => null, stats = () => undefined }) {
  const marks = [];
  process.on('SIGUSR2', () => {
    // hrtime is CLOCK_MONOTONIC, the clock of V8's profile timestamps: the profile mode cuts the
    // samples to the window with it.
    const monoUs = Number(process.hrtime.bigint() / 1000n);
    marks.push({ cpu: process.cpuUsage(), served, billed, atMs: performance.now(), monoUs, stats: stats() });
  });
  process.stdout.write(`${JSON.stringify({ ready: true, port, pid: process.pid })}\n`);
  process.once('SIGTERM', async () => {
    const started = Date.now();
    let drained;
    try {
      await closeServer();
      drained = await drain();
    } catch (error) {
      drained = { error: String(error?.stack ?? error) };
    }
    const report = {
      billed,
      maxRssKb: process.resourceUsage().maxRSS,
      drained,
      shutdownMs: Date.now() - started,
      marks,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
  });
}

/** Closes a node:http server, dropping idle keep-alive sockets (the load generator has stopped). */
export function closeHttp(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
