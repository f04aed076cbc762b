// Issue #26: `fluxrate-forwarder --metrics-port` serves the tracker's and the Redis outbox's OpenTelemetry
// metrics as Prometheus text. A real forwarder process on 127.0.0.1 is scraped over HTTP after a faulty
// run (503s, a rejected meter), and the values agree with the forwarder's own stats line.
import { createTracker } from '@fluxrate/core';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { redisOutbox } from '@fluxrate/redis';
import { freePort, type RedisServer, startRedis } from '@fluxrate/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { FORWARDER_BIN, fleetSkipReason, type Proc, run, stopFleet } from './processes.js';

const skip = fleetSkipReason('fleet:metrics');
const WRONG_TOKEN = '00000000-0000-4000-8000-000000000000';

/** Sum of a Prometheus text family's samples whose labels include every `label="value"` of `match`. */
function sample(text: string, name: string, match: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = m[2] ?? '';
    if (!Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))) continue;
    total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

describe.skipIf(skip)('fluxrate-forwarder --metrics-port', () => {
  let fx: LocalServer | undefined;
  let redis: RedisServer | undefined;
  const procs: Proc[] = [];
  afterAll(() => stopFleet(procs, fx, redis));

  it('serves Prometheus text whose values agree with the forwarder stats after a faulty run', async () => {
    fx = await startLocalServer({ meters: { api_calls: {} }, faults: { 503: 0.3 }, seed: 5 });
    redis = await startRedis();
    const stream = 'fleet:metrics';
    const app = createTracker({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: fx.meters.api_calls!.token, wrong: WRONG_TOKEN },
      outbox: redisOutbox({ redis: redis.url, stream, consume: false, meterProvider: false }),
      meterProvider: false,
    });
    for (let i = 0; i < 60; i++) app.track({ meter: 'api_calls', customerId: 'm', quantity: 1 });
    for (let i = 0; i < 3; i++) app.track({ meter: 'wrong', customerId: 'm', quantity: 1 });
    await app.flush(); // durably in Redis
    await app.shutdown();
    const port = await freePort();
    const forwarder = run(
      'forwarder',
      [
        FORWARDER_BIN,
        ...['--redis', redis.url, '--stream', stream, '--json', '--stats-interval', '100'],
        ...['--retry-min', '20', '--retry-max', '100', '--shutdown-timeout', '2000'],
        ...['--metrics-port', String(port), '--metrics-host', '127.0.0.1'],
      ],
      { FLUXRATE_API_KEY: fx.apiKey, FLUXRATE_BASE_URL: fx.url },
    );
    procs.push(forwarder);
    const started = await forwarder.until('started');
    expect(started.metrics).toBe(`http://127.0.0.1:${port}/metrics`);
    const stats = await forwarder.until(
      'stats',
      (l) => l.delivered === 60 && l.failed === 3 && l.inFlight === 0,
    );
    const response = await fetch(started.metrics);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    const at = (name: string, match?: Record<string, string>) => sample(text, name, match);
    expect(at('fluxrate_events_delivered_total')).toBe(60);
    expect(at('fluxrate_events_delivered_total', { fluxrate_meter: 'api_calls' })).toBe(60);
    expect(at('fluxrate_events_failed_total', { fluxrate_reason: 'rejected' })).toBe(3);
    expect(at('fluxrate_delivery_attempts_total', { fluxrate_outcome: 'retry' })).toBe(stats.retried);
    expect(stats.retried).toBeGreaterThan(0);
    expect(at('fluxrate_delivery_in_flight')).toBe(0);
    expect(at('fluxrate_redis_read_total', { fluxrate_redis_stream: stream })).toBe(63);
    expect(at('fluxrate_redis_acked_total')).toBe(63);
    expect(at('fluxrate_redis_stream_length')).toBe(0);
    expect(at('fluxrate_redis_stream_pending')).toBe(0);
    expect(at('fluxrate_redis_stream_oldest_entry_age')).toBe(0);
    expect(at('fluxrate_redis_appended_total')).toBe(0); // a forwarder reads; apps append
    forwarder.child.kill('SIGTERM');
    expect((await forwarder.exited).code).toBe(0);
    expect(forwarder.last('stopped')).toMatchObject({ delivered: 60, failed: 3 });
    await expect(fetch(started.metrics)).rejects.toThrow(); // the metrics server closed with it
  });
});
