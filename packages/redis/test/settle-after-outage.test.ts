import { createTracker } from '@fluxrate/core';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { type RedisServer, redisSkipReason, sleep, startRedis, waitFor } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { redisOutbox, startForwarder } from '../src/index.js';

const skip = redisSkipReason();

describe.skipIf(skip)('a forwarder across a Redis outage (real redis-server stopped and restarted)', () => {
  let redis: RedisServer | undefined;
  let fx: LocalServer | undefined;
  const stops: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    await fx?.close();
    await redis?.close();
  });

  it('re-sends the settles Redis missed and re-reads entries whose read reply was lost: the stream ends empty, nothing pending, each event stored once', async () => {
    redis = await startRedis();
    fx = await startLocalServer({ meters: { api_calls: {} }, faults: { 503: 0.2 }, seed: 3 });
    const stream = 'outage:settles';
    const app = redisOutbox({ redis: redis.url, stream, consume: false });
    const producer = createTracker({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: fx.meters.api_calls!.token },
      outbox: app,
    });
    const total = 3_000;
    for (let i = 0; i < total; i++) producer.track({ meter: 'api_calls', customerId: 'acme', quantity: 1 });
    await producer.flush(); // durably in the stream
    await producer.shutdown({ timeoutMs: 2_000 });

    // The local server answers slowly enough that the outage lands mid-drain.
    fx.setFaults({ 503: 0.2, slow: { rate: 1, ms: 5 } });
    const forwarder = startForwarder({
      outbox: { redis: redis.url, stream, claimIdleMs: 60_000 },
      tracker: { apiKey: fx.apiKey, baseUrl: fx.url, retry: { minTimeout: 20, maxTimeout: 300 } },
    });
    forwarder.tracker.on('error', () => undefined);
    stops.push(() => forwarder.stop(5_000));
    await waitFor(() => fx!.events().length >= 300, 20_000);
    await redis.stop(true); // SIGKILL: acks in flight and those that follow fail
    const storedWhileDown = fx.events().length;
    await sleep(2_000);
    // Delivery went on from the prefetch while Redis was away: those settles could not reach it.
    expect(fx.events().length).toBeGreaterThan(storedWhileDown);
    await redis.start();
    fx.setFaults({ 503: 0.2 });

    const probe = redisOutbox({ redis: redis.url, stream, consume: false });
    stops.push(() => probe.close());
    await waitFor(async () => {
      const { streamLength, pending } = await probe.stats();
      return streamLength === 0 && pending === 0;
      // Well under claimIdleMs: nothing may wait for a takeover to be found again.
    }, 30_000);
    const keys = fx.events().map((e) => e.idempotencyKey);
    expect(keys).toHaveLength(total);
    expect(new Set(keys).size).toBe(total);
    expect(await probe.stats()).toMatchObject({ streamLength: 0, pending: 0 });
  }, 120_000);
});
