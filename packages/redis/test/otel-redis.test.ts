// Issue #26: the Redis outbox's OpenTelemetry metrics (fluxrate.redis.*), read from the SDK's in-memory
// exporter after a faulty run (appends refused by Redis, then landing), agree with the outbox's stats().
import { createTracker, FluxrateConfigError } from '@fluxrate/core';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import {
  expectWarnings,
  inMemoryMetrics,
  type RedisServer,
  redisSkipReason,
  startRedis,
  waitFor,
} from '@fluxrate/testkit';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOutbox } from '../src/index.js';

const skip = redisSkipReason();

/** The one point of a metric (one outbox, one stream), or undefined when it has none. */
function point(all: Map<string, MetricData>, name: string): number | undefined {
  const points = all.get(name)?.dataPoints ?? [];
  expect(points.length).toBeLessThanOrEqual(1);
  return points[0]?.value as number | undefined;
}

describe.skipIf(skip)('redisOutbox OpenTelemetry metrics', () => {
  let redis: RedisServer;
  let fx: LocalServer;
  beforeAll(async () => {
    redis = await startRedis();
    fx = await startLocalServer({ meters: { api_calls: {} } });
  });
  afterAll(async () => {
    await fx?.close();
    await redis?.close();
  });

  it('counts append errors while Redis refuses, then the appends and the backlog, as stats() does', async () => {
    expectWarnings('FLUXRATE_STORAGE');
    const stream = 'otel:outbox';
    const admin = new Redis(redis.url);
    await admin.set(stream, 'not a stream'); // every XADD fails with WRONGTYPE until the key is gone
    const { provider, collect } = inMemoryMetrics(sdkMetrics);
    const outbox = redisOutbox({ redis: redis.url, stream, consume: false, meterProvider: provider });
    const t = createTracker({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: fx.meters.api_calls!.token },
      meterProvider: false,
      outbox,
    });
    try {
      for (let i = 0; i < 10; i++) t.track({ meter: 'api_calls', customerId: 'r', quantity: 1 });
      await waitFor(() => outbox.localStats().appendErrors >= 2, 5_000);
      let m = await collect();
      const failing = outbox.localStats();
      expect(point(m, 'fluxrate.redis.append.errors')).toBeGreaterThanOrEqual(2);
      expect(point(m, 'fluxrate.redis.append.errors')).toBeLessThanOrEqual(outbox.localStats().appendErrors);
      expect(point(m, 'fluxrate.redis.unconfirmed')).toBe(10);
      expect(point(m, 'fluxrate.redis.appended')).toBe(0);
      expect(failing.appended).toBe(0);
      expect(m.get('fluxrate.redis.append.errors')?.dataPoints[0]?.attributes).toEqual({
        'fluxrate.redis.stream': stream,
      });

      await admin.del(stream);
      const started = Date.now();
      await t.flush(); // durably in Redis
      m = await collect();
      const s = await outbox.stats();
      expect(s).toMatchObject({ appended: 10, unconfirmed: 0, streamLength: 10 });
      expect(point(m, 'fluxrate.redis.appended')).toBe(s.appended);
      expect(point(m, 'fluxrate.redis.appends')).toBe(s.appends);
      expect(point(m, 'fluxrate.redis.append.errors')).toBe(s.appendErrors);
      expect(point(m, 'fluxrate.redis.unconfirmed')).toBe(0);
      expect(point(m, 'fluxrate.redis.overflow')).toBe(s.overflow);
      expect(point(m, 'fluxrate.redis.stream.length')).toBe(10);
      expect(point(m, 'fluxrate.redis.stream.pending')).toBe(0);
      expect(point(m, 'fluxrate.redis.stream.lag')).toBeUndefined(); // no consumer group yet
      const age = point(m, 'fluxrate.redis.stream.oldest_entry_age')!;
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThanOrEqual((Date.now() - started) / 1000 + 0.01);
      for (const name of ['fluxrate.redis.read', 'fluxrate.redis.claimed', 'fluxrate.redis.acked'])
        expect(point(m, name)).toBe(0);
    } finally {
      await t.shutdown();
      await provider.shutdown();
      admin.disconnect();
    }
  });

  it('refuses a meterProvider that is not one, naming the option', () => {
    expect(() => redisOutbox({ redis: redis.url, meterProvider: {} as never })).toThrow(FluxrateConfigError);
    expect(() => redisOutbox({ redis: redis.url, meterProvider: {} as never })).toThrow(/meterProvider/);
  });
});
