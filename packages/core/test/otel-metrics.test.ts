// Issue #26: OpenTelemetry metrics. Each documented metric is read from the SDK's in-memory exporter
// after a faulty run (503s, a rejected meter, a too-old event, a skipped customer, a drop after shutdown),
// and agrees with stats().
import { startLocalServer } from '@fluxrate/local';
import { expectWarnings, inMemoryMetrics } from '@fluxrate/testkit';
import { metrics } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracker, FluxrateConfigError } from '../src/index.js';
import { resolveMeterProvider } from '../src/integrations/otel-metrics.js';

type Local = Awaited<ReturnType<typeof startLocalServer>>;
let local: Local;
const WRONG_TOKEN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  local = await startLocalServer({
    meters: { api_calls: { aggregation: 'SUM' } },
    faults: { 503: 0.3 },
    seed: 3,
  });
});
afterAll(() => local.close());

/** Sum of a metric's points whose attributes include `match`. */
function sum(all: Map<string, MetricData>, name: string, match: Record<string, string> = {}): number {
  const metric = all.get(name);
  if (!metric) throw new Error(`no metric ${name}`);
  let total = 0;
  for (const point of metric.dataPoints) {
    if (!Object.entries(match).every(([k, v]) => point.attributes[k] === v)) continue;
    const value = point.value as number | { count: number };
    total += typeof value === 'number' ? value : value.count;
  }
  return total;
}

describe('OpenTelemetry metrics', () => {
  it('after a faulty run every documented metric agrees with stats()', async () => {
    expectWarnings(
      'FLUXRATE_EVENT_FAILED',
      'FLUXRATE_EVENT_TOO_OLD',
      'FLUXRATE_SKIPPED',
      'FLUXRATE_EVENT_DROPPED',
    );
    local.reset();
    const { provider, collect } = inMemoryMetrics(sdkMetrics);
    const t = createTracker({
      apiKey: local.apiKey,
      baseUrl: local.url,
      meters: { api_calls: local.meters.api_calls!.token, wrong: WRONG_TOKEN },
      customerAllowList: (id) => id !== 'blocked',
      maxEventAgeMs: 86_400_000,
      retry: { minTimeout: 5, maxTimeout: 20 },
      meterProvider: provider,
    });
    for (let i = 0; i < 40; i++) t.track({ meter: 'api_calls', customerId: 'acme', quantity: 1 });
    for (let i = 0; i < 3; i++) t.track({ meter: 'wrong', customerId: 'acme', quantity: 1 });
    t.track({
      meter: 'api_calls',
      customerId: 'acme',
      quantity: 1,
      timestamp: new Date(Date.now() - 2 * 86_400_000),
    });
    t.track({ meter: 'api_calls', customerId: 'blocked', quantity: 1 });
    await t.shutdown();
    t.track({ meter: 'api_calls', customerId: 'acme', quantity: 1 }); // after shutdown: dropped
    const s = t.stats();
    const m = await collect();
    expect(s).toMatchObject({ delivered: 40, failed: 4, tooOld: 1, skipped: 1, dropped: 1 });
    expect(s.retried).toBeGreaterThan(0);
    expect(sum(m, 'fluxrate.events.accepted')).toBe(s.tracked);
    expect(sum(m, 'fluxrate.events.delivered')).toBe(s.delivered);
    expect(sum(m, 'fluxrate.events.delivered', { 'fluxrate.meter': 'api_calls' })).toBe(40);
    expect(sum(m, 'fluxrate.events.failed')).toBe(s.failed);
    expect(
      sum(m, 'fluxrate.events.failed', { 'fluxrate.meter': 'wrong', 'fluxrate.reason': 'rejected' }),
    ).toBe(3);
    expect(sum(m, 'fluxrate.events.failed', { 'fluxrate.reason': 'too-old' })).toBe(s.tooOld);
    expect(sum(m, 'fluxrate.events.dropped', { 'fluxrate.reason': 'after-shutdown' })).toBe(s.dropped);
    expect(sum(m, 'fluxrate.events.skipped', { 'fluxrate.reason': 'not-allowed' })).toBe(s.skipped);
    expect(sum(m, 'fluxrate.events.coalesced')).toBe(s.coalesced);
    expect(sum(m, 'fluxrate.delivery.attempts', { 'fluxrate.outcome': 'delivered' })).toBe(s.delivered);
    expect(sum(m, 'fluxrate.delivery.attempts', { 'fluxrate.outcome': 'retry' })).toBe(s.retried);
    expect(sum(m, 'fluxrate.delivery.attempts', { 'fluxrate.outcome': 'failed' })).toBe(s.failed - s.tooOld);
    expect(sum(m, 'fluxrate.delivery.latency')).toBe(s.delivered); // one recording per delivered event
    expect(sum(m, 'fluxrate.queue.depth')).toBe(s.queued + s.inFlight);
    expect(sum(m, 'fluxrate.delivery.in_flight')).toBe(s.inFlight);
    expect(s.oldestEventAt).toBeUndefined(); // nothing held after shutdown
    expect(sum(m, 'fluxrate.queue.oldest_event_age')).toBe(0);
    // Bounded cardinality: no attribute ever names a customer.
    for (const metric of m.values())
      for (const point of metric.dataPoints)
        expect(JSON.stringify(point.attributes)).not.toMatch(/acme|blocked/);
    await provider.shutdown();
  });

  it('reports the age of the oldest held event, from stats().oldestEventAt, and 0 once none is held', async () => {
    expectWarnings('FLUXRATE_EVENT_DROPPED', 'FLUXRATE_SHUTDOWN_LEFT');
    const down = await startLocalServer({
      meters: { api_calls: { aggregation: 'SUM' } },
      faults: { 503: 1 },
    });
    const { provider, collect } = inMemoryMetrics(sdkMetrics);
    try {
      const t = createTracker({
        apiKey: down.apiKey,
        baseUrl: down.url,
        meters: { api_calls: down.meters.api_calls!.token },
        retry: { minTimeout: 5, maxTimeout: 20 },
        meterProvider: provider,
      });
      const now = Date.now();
      for (const minutesAgo of [2, 10, 1]) {
        const timestamp = new Date(now - minutesAgo * 60_000);
        t.track({ meter: 'api_calls', customerId: 'acme', quantity: 1, timestamp });
      }
      await new Promise((resolve) => setTimeout(resolve, 50)); // attempts made, events waiting to retry
      expect(t.stats().oldestEventAt).toBe(now - 600_000);
      const age = sum(await collect(), 'fluxrate.queue.oldest_event_age');
      expect(age).toBeGreaterThanOrEqual(600);
      expect(age).toBeLessThan(600 + (Date.now() - now) / 1000 + 0.001);
      await t.shutdown({ timeoutMs: 100 }); // all three left at the deadline
      expect(t.stats().oldestEventAt).toBeUndefined();
      expect(sum(await collect(), 'fluxrate.queue.oldest_event_age')).toBe(0);
    } finally {
      await provider.shutdown();
      await down.close();
    }
  });

  it('records through the global MeterProvider when none is given, and not at all with meterProvider: false', async () => {
    local.reset();
    const { provider, collect } = inMemoryMetrics(sdkMetrics);
    metrics.setGlobalMeterProvider(provider);
    try {
      const base = {
        apiKey: local.apiKey,
        baseUrl: local.url,
        meters: { api_calls: local.meters.api_calls!.token },
      };
      const viaGlobal = createTracker(base);
      const off = createTracker({ ...base, meterProvider: false });
      viaGlobal.track({ meter: 'api_calls', customerId: 'acme', quantity: 1 });
      off.track({ meter: 'api_calls', customerId: 'acme', quantity: 1 });
      off.track({ meter: 'api_calls', customerId: 'acme', quantity: 1 });
      await Promise.all([viaGlobal.shutdown(), off.shutdown()]);
      expect(sum(await collect(), 'fluxrate.events.accepted')).toBe(1);
    } finally {
      metrics.disable();
      await provider.shutdown();
    }
  });

  it("with the api but no SDK registered, records nothing and attaches nothing (the no-op meter's cost saved)", async () => {
    metrics.disable();
    expect(resolveMeterProvider(undefined)).toBeUndefined();
    const { provider } = inMemoryMetrics(sdkMetrics);
    metrics.setGlobalMeterProvider(provider);
    try {
      expect(resolveMeterProvider(undefined)).toBe(provider);
    } finally {
      metrics.disable();
      await provider.shutdown();
    }
  });

  it('refuses a meterProvider that is not one', () => {
    expect(() => createTracker({ apiKey: 'org_live_x', meterProvider: {} as never })).toThrow(
      FluxrateConfigError,
    );
  });
});
