import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTracker } from '@fluxrate/core';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { redisOutbox } from '@fluxrate/redis';
import { type RedisServer, sleep, startRedis } from '@fluxrate/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetSkipReason, forwarderArgs, type Proc, run, stopFleet } from './processes.js';

const skip = fleetSkipReason('fleet:sigterm');

describe.skipIf(skip)('fluxrate-forwarder SIGTERM', () => {
  let fx: LocalServer | undefined;
  let redis: RedisServer | undefined;
  const procs: Proc[] = [];
  afterAll(() => stopFleet(procs, fx, redis));

  it('finishes in flight, hands the rest back, and the next forwarder takes it at once (not after claim-idle)', async () => {
    fx = await startLocalServer({ meters: { api_calls: {} }, faults: { 503: 0.3 }, seed: 3 });
    redis = await startRedis();
    const stream = 'fleet:sigterm';
    const total = 800;
    const app = createTracker({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: fx.meters.api_calls!.token },
      outbox: redisOutbox({ redis: redis.url, stream, consume: false }),
    });
    for (let i = 0; i < total; i++) app.track({ meter: 'api_calls', customerId: 'sig', quantity: 1 });
    await app.flush(); // durably in Redis
    await app.shutdown();
    const args = (name: string) =>
      forwarderArgs(
        redis!,
        stream,
        '--consumer',
        name,
        '--concurrency',
        '2',
        '--prefetch',
        '200',
        '--claim-idle',
        '60000',
        '--retry-min',
        '200',
        '--retry-max',
        '2000',
        '--shutdown-timeout',
        '300',
        '--stats-interval',
        '200',
      );
    const env = { FLUXRATE_API_KEY: fx.apiKey, FLUXRATE_BASE_URL: fx.url };
    const first = run('first', args('first'), env);
    procs.push(first);
    await first.until('stats', (l) => l.delivered > 20);
    // From here Fluxrate refuses everything, so what the first one holds when SIGTERM comes cannot be
    // delivered inside its 300 ms shutdown on a fast machine either: it must be handed back.
    fx.setFaults({ 503: 1 });
    first.child.kill('SIGTERM');
    const stopped = await first.until('stopped');
    expect(await first.exited).toMatchObject({ code: 0 });
    expect(stopped.handedBack).toBeGreaterThan(0);
    const storedAtStop = fx.stats().stored;
    fx.setFaults({ 503: 0.3 });

    const second = run('second', args('second'), env);
    procs.push(second);
    const started = Date.now();
    // What the first one handed back is taken over at once, not after claim-idle (60 s).
    const early = await second.until('stats', (l) => l.redis?.claimed >= stopped.handedBack, 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    while (fx.stats().stored < total) {
      if (Date.now() - started > 30_000) throw new Error(`only ${fx.stats().stored} of ${total} stored`);
      await sleep(100);
    }
    const tookMs = Date.now() - started;
    second.child.kill('SIGTERM');
    const secondStopped = await second.until('stopped');
    const keys = fx.events().map((e) => e.idempotencyKey);
    console.log(
      `[fleet:sigterm] first delivered ${stopped.delivered}, handed back ${stopped.handedBack} (stored ${storedAtStop}); ` +
        `second took over and finished in ${tookMs} ms (claim-idle 60000), delivered ${secondStopped.delivered}`,
    );
    expect(new Set(keys).size).toBe(total);
    expect(keys).toHaveLength(total);
    expect(early.redis.claimed).toBeGreaterThanOrEqual(stopped.handedBack);
  }, 60_000);

  it('acks and deletes definitively failed entries and writes them to --dead-letter', async () => {
    fx ??= await startLocalServer({ meters: { api_calls: {} } });
    fx.setFaults({});
    redis ??= await startRedis();
    const stream = 'fleet:failed';
    const dir = mkdtempSync(join(tmpdir(), 'fluxrate-fwd-dl-'));
    const file = join(dir, 'dead.ndjson');
    try {
      const app = createTracker({
        apiKey: fx.apiKey,
        baseUrl: fx.url,
        outbox: redisOutbox({ redis: redis.url, stream, consume: false }),
      });
      // A meter token Fluxrate does not know: 404, never retried.
      for (let i = 0; i < 25; i++) {
        app.track({ meter: '99999999-9999-4999-8999-999999999999', customerId: 'dl', quantity: 1 });
      }
      await app.shutdown();
      const fwd = run('dl', forwarderArgs(redis, stream, '--dead-letter', file, '--stats-interval', '100'), {
        FLUXRATE_API_KEY: fx.apiKey,
        FLUXRATE_BASE_URL: fx.url,
      });
      procs.push(fwd);
      await fwd.until(
        'stats',
        (l) => l.failed === 25 && l.redis?.streamLength === 0 && l.redis?.pending === 0,
      );
      fwd.child.kill('SIGTERM');
      expect(await fwd.until('stopped')).toMatchObject({ failed: 25, handedBack: 0 });
      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(25);
      expect(lines.every((l) => l.reason === 'rejected' && l.status === 404)).toBe(true);
      expect(fx.events({ customer: 'dl' })).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
