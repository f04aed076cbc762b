// Issue #26: one 429 budget for a fleet. When Fluxrate answers 429 with Retry-After, the pause is stored
// in Redis once and every forwarder sharing the stream reads it before sending, so the fleet backs off
// together instead of each instance (and each event) discovering the limit on its own.
import { createTracker, type Tracker } from '@fluxrate/core';
import {
  expectWarnings,
  type RedisServer,
  redisSkipReason,
  type ScriptedServer,
  startRedis,
  startScriptedServer,
  waitFor,
} from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Forwarder, redisOutbox, startForwarder } from '../src/index.js';

const skip = redisSkipReason();
const TOKEN = '550e8400-e29b-41d4-a716-446655440000';
const PAUSE_S = 10;
const EVENTS = 300;

describe.skipIf(skip)('a 429 Retry-After pauses every forwarder of the stream together', () => {
  let redis: RedisServer;
  let server: ScriptedServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await server?.close();
    await redis?.close();
  });

  it(`3 forwarders send a few requests, not one per event, during a ${PAUSE_S} s Retry-After; then all are billed once`, async () => {
    // Without a logger, the 429s surface once as failing deliveries only if they exhaust retries: they must not.
    expectWarnings();
    let pauseEnds = 0;
    // Fluxrate's rate limit: from the first request, 429 with the seconds left for PAUSE_S seconds, then 201.
    server = await startScriptedServer((req) => {
      pauseEnds ||= req.at + PAUSE_S * 1000;
      const left = Math.ceil((pauseEnds - req.at) / 1000);
      return left > 0 ? { status: 429, headers: { 'retry-after': String(left) } } : { status: 201 };
    });
    const stream = 'fleet429';
    const app: Tracker = createTracker({
      apiKey: 'org_live_test',
      baseUrl: server.url,
      meters: { api_calls: TOKEN },
      outbox: redisOutbox({ redis: redis.url, stream, consume: false }),
    });
    for (let i = 0; i < EVENTS; i++)
      app.track({ meter: 'api_calls', customerId: 'acme', quantity: 1, idempotencyKey: `k${i}` });
    await app.flush();
    const forwarders: Forwarder[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        forwarders.push(
          await startForwarder({
            outbox: { redis: redis.url, stream, consumer: `f${i}` },
            tracker: { apiKey: 'org_live_test', baseUrl: server.url, concurrency: 4 },
          }),
        );
      }
      await waitFor(() => server.requests.some((r) => r.at >= pauseEnds && pauseEnds > 0), 20_000);
      const during = server.requests.filter((r) => r.at < pauseEnds).length;
      console.log(`[fleet-429] ${during} requests reached Fluxrate during the ${PAUSE_S} s pause`);
      // The in-flight attempts of each forwarder when the pause began, and a stale read or two: not 300.
      expect(during).toBeGreaterThan(0);
      expect(during).toBeLessThanOrEqual(30);
      const delivered = () =>
        new Set(server.requests.filter((r) => r.at >= pauseEnds).map((r) => r.json.idempotency_key));
      await waitFor(() => delivered().size === EVENTS, 20_000);
      // The server has seen the last request; its forwarder counts it once the answer is back.
      const allStats = () => Promise.all(forwarders.map((f) => f.stats()));
      await waitFor(async () => (await allStats()).reduce((n, s) => n + s.delivered, 0) >= EVENTS, 5_000);
      const stats = await allStats();
      expect(stats.reduce((n, s) => n + s.delivered, 0)).toBe(EVENTS);
      expect(stats.reduce((n, s) => n + s.failed, 0)).toBe(0);
    } finally {
      for (const f of forwarders) await f.stop(2_000);
      await app.shutdown({ timeoutMs: 2_000 });
    }
  }, 45_000);
});
