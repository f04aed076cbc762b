import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { onCleanup, sleep, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

async function local(faults: Parameters<LocalServer['setFaults']>[0]): Promise<LocalServer> {
  const fx = await startLocalServer({ meters: { api_calls: {} }, faults, seed: 23 });
  onCleanup(() => fx.close());
  return fx;
}

/** Tracks `n` events with caller keys and samples `inFlight` until `flush()` settles them. */
async function drain(fx: LocalServer, n: number) {
  const t = tracker({
    apiKey: fx.apiKey,
    baseUrl: fx.url,
    meters: { api_calls: fx.meters.api_calls!.token },
    coalesce: false,
  });
  const keys = Array.from({ length: n }, (_, i) => `deg_${i}`);
  for (const key of keys)
    t.track({ meter: 'api_calls', customerId: 'acme', quantity: 1, idempotencyKey: key });
  let maxInFlight = 0;
  const sample = setInterval(() => {
    maxInFlight = Math.max(maxInFlight, t.stats().inFlight);
  }, 2);
  await t.flush();
  clearInterval(sample);
  return { t, keys, maxInFlight };
}

describe('delivery against a degraded @fluxrate/local (retry defaults, real HTTP on 127.0.0.1)', () => {
  it('drains through 33% mixed transient faults at full concurrency, each event stored exactly once', async () => {
    const fx = await local({
      500: 0.066,
      503: 0.066,
      429: 0.066,
      resetBefore: 0.066,
      resetAfter: 0.066,
      retryAfter: 1,
    });
    const { t, keys, maxInFlight } = await drain(fx, 2_000);
    const stored = fx.events().map((e) => e.idempotencyKey);
    expect(stored).toHaveLength(keys.length);
    expect(new Set(stored)).toEqual(new Set(keys));
    expect(t.stats()).toMatchObject({ delivered: 2_000, failed: 0, dropped: 0 });
    expect(t.stats().retried).toBeGreaterThan(500);
    // The default concurrency is reached (the throttle stays open while two thirds of the attempts succeed).
    expect(maxInFlight).toBe(8);
    // A reset after the store was answered again and deduplicated by the key, never stored twice.
    expect(fx.stats().deduplicated).toBeGreaterThan(0);
  }, 60_000);

  it('during a full outage probes about once a second, then delivers everything when Fluxrate is back', async () => {
    const fx = await local({ 503: 1 });
    const t = tracker({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: fx.meters.api_calls!.token },
      coalesce: false,
    });
    for (let i = 0; i < 200; i++) t.track({ meter: 'api_calls', customerId: 'acme', quantity: 1 });
    await sleep(1_500); // the bucket empties within its first hundred failures
    const before = fx.stats().requests;
    await sleep(4_000);
    const probes = fx.stats().requests - before;
    expect(probes).toBeGreaterThanOrEqual(3);
    expect(probes).toBeLessThanOrEqual(5);
    fx.setFaults({});
    await t.flush();
    expect(fx.events()).toHaveLength(200);
  }, 60_000);
});
