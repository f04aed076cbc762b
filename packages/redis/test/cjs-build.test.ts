// The CommonJS build (`require('@fluxrate/redis')`, packages/redis/dist/index.cjs) through Redis blips:
// a real redis-server started late, and restarted mid-run. p-retry is ESM-only, so the CJS build must
// reach its function through require(esm); when it did not, every retried append threw a TypeError
// that was swallowed, and the batch was lost.
import { createRequire } from 'node:module';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { needsBuild, type RedisServer, redisSkipReason, sleep, startRedis, waitFor } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const skip =
  redisSkipReason() ??
  needsBuild('redis CJS build', 'packages/redis/dist/index.cjs', 'packages/core/dist/index.cjs');
// Resolved as a CommonJS user's require() resolves them: the built files, not the TypeScript sources.
const require = createRequire(new URL('../package.json', import.meta.url));

type Core = typeof import('@fluxrate/core');
type RedisPkg = typeof import('../src/index.js');

describe.skipIf(skip)("require('@fluxrate/redis') (the CJS build) through Redis blips", () => {
  let redis: RedisServer | undefined;
  let fx: LocalServer | undefined;
  let tracker: ReturnType<Core['createTracker']> | undefined;
  afterEach(async () => {
    await tracker?.shutdown({ timeoutMs: 2_000 });
    await redis?.close();
    await fx?.close();
  });

  /** A tracker on the CJS builds with the Redis outbox; `redisDown`: Redis refuses connections from the start. */
  async function start(redisDown = false) {
    const { createTracker } = require('@fluxrate/core') as Core;
    const { redisOutbox } = require('./dist/index.cjs') as RedisPkg;
    expect(require.resolve('./dist/index.cjs')).toMatch(/dist\/index\.cjs$/);
    fx = await startLocalServer({ meters: { api_calls: {} } });
    redis = await startRedis();
    if (redisDown) await redis.stop();
    const errors: string[] = [];
    tracker = createTracker({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: fx.meters.api_calls!.token },
      retry: { minTimeout: 20, maxTimeout: 300 },
      outbox: redisOutbox({ redis: redis.url, stream: 'cjs:events' }),
    });
    tracker.on('error', (e) => errors.push(e.reason));
    return { tracker, redis, fx, errors };
  }

  const track = (n: number) => {
    for (let i = 0; i < n; i++) tracker!.track({ meter: 'api_calls', customerId: 'acme' });
  };

  it('Redis refusing connections at start, up 2.5 s later: all 100 tracked events are stored', async () => {
    const { tracker, redis, fx, errors } = await start(true);
    track(100);
    await sleep(2_500);
    await redis.start();
    expect(await tracker.flush({ timeoutMs: 15_000 })).toEqual({ settled: true, pending: 0 });
    await waitFor(() => fx.events().length >= 100, 15_000);
    expect(fx.events()).toHaveLength(100);
    expect(errors.filter((e) => /is not a function/.test(e))).toEqual([]);
  });

  it('Redis restarted mid-run: the 20 events tracked during a ~2 s outage are all stored', async () => {
    const { tracker, redis, fx } = await start();
    track(10);
    await waitFor(() => fx.events().length === 10, 15_000);
    await redis.stop();
    for (let i = 0; i < 4; i++) {
      track(5);
      await sleep(500);
    }
    await redis.start();
    expect(await tracker.flush({ timeoutMs: 15_000 })).toEqual({ settled: true, pending: 0 });
    await waitFor(() => fx.events().length >= 30, 15_000);
    expect(fx.events()).toHaveLength(30);
  });
});
