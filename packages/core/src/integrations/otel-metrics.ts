import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { MeterProviderLike, OtelMeter } from '../contracts/otel.js';
import type { Tracker } from '../contracts/types.js';
import { kObserver } from '../support/emitter.js';
import { VERSION } from '../support/version.js';

const SCOPE = '@fluxrate/core';

/** The metrics' listeners observe: they never make a problem count as heard by the app (see `kObserver`). */
function observer<F extends (payload: never) => void>(listener: F): F {
  return Object.assign(listener, { [kObserver]: true });
}

/**
 * The MeterProvider metrics go to: `option` when given, none for `false`, else the global MeterProvider of
 * `@opentelemetry/api` when the app has it installed (an optional peer) and an SDK registered it. The
 * package is resolved from the app first, then from core; without it nothing is loaded. `@fluxrate/redis`
 * records through this too.
 */
export function resolveMeterProvider(
  option: MeterProviderLike | false | undefined,
): MeterProviderLike | undefined {
  if (option === false) return undefined;
  return option ?? globalProvider();
}

/** The slice of `@opentelemetry/api`'s exports used here. */
interface OtelApi {
  metrics: { getMeterProvider(): MeterProviderLike };
  createNoopMeter?(): OtelMeter;
}

function globalProvider(): MeterProviderLike | undefined {
  let api: OtelApi | undefined;
  for (const from of [join(process.cwd(), 'noop.js'), import.meta.url]) {
    try {
      api = createRequire(from)('@opentelemetry/api') as OtelApi;
      break;
    } catch {
      // not installed there
    }
  }
  if (!api) return undefined;
  const provider = api.metrics.getMeterProvider();
  // No SDK registered yet: the API's no-op meter, which it hands out for good (the metrics API has no
  // proxy: an SDK registered later never reaches it). Listening would cost every event for nothing.
  if (api.createNoopMeter && provider.getMeter(SCOPE, VERSION) === api.createNoopMeter()) return undefined;
  return provider;
}

/**
 * Records the tracker's life as OpenTelemetry metrics (names and attributes in the core README's table),
 * through `provider`, else the global MeterProvider when `@opentelemetry/api` is installed; `false` or no
 * API: nothing. Attributes are the meter name, reason and outcome only, never a customer (bounded
 * cardinality). Per-event counts come from the tracker's own events; totals the tracker keeps (accepted,
 * coalesced) and what it holds are read from `stats()` at collection, so they agree with it.
 */
export function instrumentTracker<T extends Tracker<string>>(
  tracker: T,
  option: MeterProviderLike | false | undefined,
): T {
  const provider = resolveMeterProvider(option);
  if (!provider) return tracker;
  const meter = provider.getMeter(SCOPE, VERSION);
  const event = (name: string, description: string) =>
    meter.createCounter(`fluxrate.events.${name}`, { unit: '{event}', description });
  const delivered = event('delivered', 'Usage events Fluxrate stored');
  const failed = event('failed', 'Usage events that failed (rejected, retries-exhausted, too-old)');
  const dropped = event('dropped', 'Usage events dropped (overflow, shutdown-deadline, after-shutdown)');
  const skipped = event('skipped', 'Billable usage the configuration kept from being billed');
  const attempts = meter.createCounter('fluxrate.delivery.attempts', {
    unit: '{attempt}',
    description: 'Delivery attempts by outcome (delivered, retry, failed)',
  });
  const latency = meter.createHistogram('fluxrate.delivery.latency', {
    unit: 's',
    description: 'From the usage (accepted) to Fluxrate storing it',
  });
  tracker.on(
    'delivered',
    observer(({ event: e, latencyMs }) => {
      const attributes = { 'fluxrate.meter': e.meter };
      delivered.add(1, attributes);
      attempts.add(1, { 'fluxrate.outcome': 'delivered' });
      latency.record(Math.max(0, latencyMs) / 1000, attributes);
    }),
  );
  tracker.on(
    'retry',
    observer(() => attempts.add(1, { 'fluxrate.outcome': 'retry' })),
  );
  tracker.on(
    'failed',
    observer(({ event: e, reason, attempts: made }) => {
      failed.add(1, { 'fluxrate.meter': e.meter, 'fluxrate.reason': reason });
      if (made > 0) attempts.add(1, { 'fluxrate.outcome': 'failed' }); // too-old was never sent
    }),
  );
  tracker.on(
    'dropped',
    observer(({ event: e, reason }) =>
      dropped.add(1, { 'fluxrate.meter': e.meter, 'fluxrate.reason': reason }),
    ),
  );
  tracker.on(
    'skipped',
    observer(({ reason, meter: name }) =>
      skipped.add(1, { 'fluxrate.reason': reason, ...(name ? { 'fluxrate.meter': name } : {}) }),
    ),
  );
  const observe = (
    kind: 'Counter' | 'Gauge',
    name: string,
    unit: string,
    description: string,
    read: () => number,
  ) => meter[`createObservable${kind}`](name, { unit, description }).addCallback((r) => r.observe(read()));
  observe(
    'Counter',
    'fluxrate.events.accepted',
    '{event}',
    'Usage events accepted by track()',
    () => tracker.stats().tracked,
  );
  observe(
    'Counter',
    'fluxrate.events.coalesced',
    '{event}',
    'Events merged exactly under load',
    () => tracker.stats().coalesced,
  );
  observe(
    'Gauge',
    'fluxrate.queue.depth',
    '{event}',
    'Events held: queued, waiting to retry, in flight',
    () => {
      const { queued, inFlight } = tracker.stats();
      return queued + inFlight;
    },
  );
  meter
    .createObservableGauge('fluxrate.queue.oldest_event_age', {
      unit: 's',
      description: "Age of the oldest held event's usage timestamp (0 when none is held)",
    })
    .addCallback((r) => {
      const at = tracker.stats().oldestEventAt;
      // 0 when none is held: a cumulative exporter would repeat a last value no longer observed.
      r.observe(at === undefined ? 0 : Math.max(0, Date.now() - at) / 1000);
    });
  observe(
    'Gauge',
    'fluxrate.delivery.in_flight',
    '{attempt}',
    'Attempts in flight',
    () => tracker.stats().inFlight,
  );
  return tracker;
}
