// Delivery under a degraded Fluxrate (issue 23): drains N queued events through the sink (@fluxrate/local
// in its own process) while it fails a share of the requests transiently, per event (one tracker,
// defaults, `coalesce: false`) and through the Redis outbox + an in-process forwarder (defaults). Each
// point checks that the sink stored exactly the events tracked. Flags: --events N (4 000), --only per-event|redis.
import { parseArgs } from 'node:util';
import { createTracker } from '@fluxrate/core';
import { redisOutbox, startForwarder } from '@fluxrate/redis';
import { startRedisFleet } from './apps/redis-fleet.mjs';
import { fmt, markdownTable } from './lib/table.mjs';

/** Unreported drains before a mode's points: the sink's JIT takes about three to settle. */
const WARMUPS = 3;
const log = (msg) => process.stderr.write(`${msg}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long a Redis drain may take before the point is reported as not drained. */
const DRAIN_LIMIT_MS = 120_000;

/** The error shares of the issue; `faults` is @fluxrate/local's fault configuration for each. */
export const POINTS = [
  { share: 0, label: 'none', faults: {} },
  { share: 0.1, label: '10% 503', faults: { 503: 0.1 } },
  {
    share: 0.33,
    label: '33% mixed (500, 503, resets before/after, 429 with Retry-After 1)',
    faults: { 500: 0.066, 503: 0.066, resetBefore: 0.066, resetAfter: 0.066, 429: 0.066 },
  },
  {
    // The same mix with `Retry-After: 0` on the 429s: what the honoured 1 s waits cost (see bench/README).
    share: 0.33,
    label: '33% mixed, 429 with Retry-After 0',
    faults: { 500: 0.066, 503: 0.066, resetBefore: 0.066, resetAfter: 0.066, 429: 0.066, retryAfter: 0 },
  },
  { share: 0.5, label: '50% 503', faults: { 503: 0.5 } },
];

export function parseDegradedArgs(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      events: { type: 'string', default: '4000' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const events = Number(values.quick ? Math.min(Number(values.events), 400) : values.events);
  if (!Number.isInteger(events) || events <= 0) throw new Error('--events expects a positive integer');
  const modes = values.only ? values.only.split(',') : ['per-event', 'redis'];
  for (const m of modes)
    if (!['per-event', 'redis'].includes(m)) throw new Error(`--only: unknown mode ${m}`);
  return { events, modes, quick: values.quick, out: values.out };
}

async function admin(sink, path, init) {
  const res = await fetch(`${sink.url}${path}`, init);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}
const setFaults = (sink, faults) =>
  admin(sink, '/__admin/faults', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
const storedKeys = async (sink, customer) =>
  (await admin(sink, `/__admin/events?customer=${encodeURIComponent(customer)}`)).map(
    (e) => e.idempotencyKey,
  );

/**
 * When the last honoured 429 `Retry-After` wait ends, in s from `started`: no drain can end before it
 * (each event waits its own Retry-After; see bench/README "Degraded Fluxrate").
 */
function retryAfterFloor(tracker, started) {
  let endsAt = started;
  tracker.on('retry', (e) => {
    if (e.status === 429) endsAt = Math.max(endsAt, performance.now() + e.delayMs);
  });
  return () => (endsAt - started) / 1000;
}

function track(tracker, customer, n) {
  const keys = [];
  for (let i = 0; i < n; i++) {
    const key = `${customer}_${i}`;
    keys.push(key);
    tracker.track({ meter: 'api_calls', customerId: customer, quantity: 1, idempotencyKey: key });
  }
  return keys;
}

/** One tracker, defaults: tracks `n` events at once and times the drain until `flush()` settles them. */
async function perEvent(sink, customer, n) {
  const tracker = createTracker({
    apiKey: sink.apiKey,
    baseUrl: sink.url,
    meters: { api_calls: sink.token },
    coalesce: false,
  });
  tracker.on('error', () => undefined);
  const started = performance.now();
  const floor = retryAfterFloor(tracker, started);
  const keys = track(tracker, customer, n);
  await tracker.flush();
  const seconds = (performance.now() - started) / 1000;
  const { delivered, retried, failed, dropped } = tracker.stats();
  await tracker.shutdown({ timeoutMs: 5_000 });
  return { seconds, floor: floor(), drained: true, keys, delivered, retried, failed, dropped };
}

/** The Redis outbox: `n` events appended by an app, then one forwarder (defaults) drains the stream. */
async function viaRedis(sink, customer, n) {
  const fleet = await startRedisFleet(sink, { forwarder: false });
  const stream = `bench:${customer}`;
  try {
    const app = createTracker({
      apiKey: sink.apiKey,
      baseUrl: sink.url,
      meters: { api_calls: sink.token },
      coalesce: false,
      outbox: redisOutbox({ redis: fleet.url, stream, consume: false }),
    });
    const keys = track(app, customer, n);
    await app.flush(); // durably in the stream
    await app.shutdown({ timeoutMs: 5_000 });
    const probe = redisOutbox({ redis: fleet.url, stream, consume: false });
    const started = performance.now();
    const forwarder = startForwarder({
      outbox: { redis: fleet.url, stream },
      tracker: { apiKey: sink.apiKey, baseUrl: sink.url },
    });
    forwarder.tracker.on('error', () => undefined);
    const floor = retryAfterFloor(forwarder.tracker, started);
    let streamLength = n;
    let pending = n;
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    while ((streamLength > 0 || pending > 0) && Date.now() < deadline) {
      await sleep(10);
      ({ streamLength, pending } = await probe.stats());
    }
    const seconds = (performance.now() - started) / 1000;
    const { delivered, retried, failed, dropped } = forwarder.tracker.stats();
    await forwarder.stop(5_000);
    await probe.close();
    const drained = streamLength === 0 && pending === 0;
    return {
      seconds,
      floor: floor(),
      drained,
      keys,
      delivered,
      retried,
      failed,
      dropped,
      streamLength,
      pending,
    };
  } finally {
    await fleet.stop();
  }
}

/** Runs every point of every mode against a started sink; returns markdown, target rows and raw numbers. */
export async function degradedBench(opts, sink) {
  const rows = [];
  const raw = [];
  const targets = [];
  for (const mode of opts.modes) {
    // Warm-up (not reported): JIT, connections and the sink's store, so the healthy point is not the cold one.
    await setFaults(sink, {});
    for (let i = 0; i < WARMUPS; i++) {
      await (mode === 'per-event' ? perEvent : viaRedis)(
        sink,
        `warmup_${mode}_${i}_${Date.now()}`,
        opts.events,
      );
    }
    let healthy;
    for (const point of POINTS) {
      await setFaults(sink, { ...point.faults, seed: 23 });
      const customer = `deg_${mode}_${Math.round(point.share * 100)}_${Date.now()}`;
      const run = mode === 'per-event' ? perEvent : viaRedis;
      const result = await run(sink, customer, opts.events);
      await setFaults(sink, {});
      const stored = await storedKeys(sink, customer);
      const exact = stored.length === result.keys.length && new Set(stored).size === stored.length;
      // A drain cut off at DRAIN_LIMIT_MS counts what the sink stored by then, not what was tracked.
      const rate = (result.drained ? result.keys.length : stored.length) / result.seconds;
      healthy ??= rate;
      const ratio = rate / healthy;
      const needed = 0.5 * (1 - point.share);
      const cut = result.drained ? '' : ` (not drained in ${DRAIN_LIMIT_MS / 1000} s)`;
      // Only 429s with a Retry-After > 0 impose a wait; others retry on the backoff schedule.
      const waits = point.faults[429] !== undefined && (point.faults.retryAfter ?? 1) > 0;
      const floor = waits ? result.floor.toFixed(2) : '';
      log(
        `[degraded] ${mode} ${point.label}: ${fmt.int(rate)} events/s (${ratio.toFixed(2)} of healthy)${cut}; ${result.seconds.toFixed(2)} s${waits ? `, Retry-After floor ${floor} s` : ''}`,
      );
      raw.push({ mode, ...point, ...result, keys: undefined, stored: stored.length, rate, ratio });
      rows.push([
        mode,
        point.label,
        `${result.seconds.toFixed(2)}${result.drained ? '' : ' (cut off)'}`,
        floor,
        fmt.int(rate),
        ratio.toFixed(2),
        point.share === 0 ? '' : needed.toFixed(2),
        `${fmt.int(result.keys.length)} / ${fmt.int(stored.length)}`,
        fmt.int(result.retried),
      ]);
      if (point.share > 0) {
        targets.push([
          `${mode} at ${point.label}: >= ${needed.toFixed(2)} x healthy`,
          ratio >= needed ? 'met' : 'missed',
          ratio.toFixed(2),
        ]);
      }
      targets.push([
        `${mode} at ${point.label}: stored == tracked`,
        exact ? 'met' : 'missed',
        `${stored.length}`,
      ]);
    }
  }
  const header = [
    'mode',
    'transient errors',
    'drain s',
    'Retry-After floor s',
    'events/s',
    'vs healthy',
    'needed',
    'tracked / stored',
    'retried',
  ];
  const markdown = `## Degraded Fluxrate: drain of ${fmt.int(opts.events)} queued events

One tracker with defaults and \`coalesce: false\` (per event), or an app appending to the Redis outbox and
one forwarder with defaults draining it (redis: timed from the forwarder's start to an empty stream with
nothing pending, cut off after ${DRAIN_LIMIT_MS / 1000} s). "Retry-After floor": when the last honoured 429
\`Retry-After\` wait ended (no drain can end earlier). "needed" is 0.5 x (1 - share), issue 23's bar.

${markdownTable(header, rows)}
`;
  return { markdown, targets, raw };
}
