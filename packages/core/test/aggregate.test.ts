import { startLocalServer } from '@fluxrate/local';
import { sleep } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracker } from '../src/index.js';

type Local = Awaited<ReturnType<typeof startLocalServer>>;
let local: Local;

beforeAll(async () => {
  local = await startLocalServer({
    meters: {
      calls: { aggregation: 'SUM' },
      peak: { aggregation: 'MAX' },
      level: { aggregation: 'LAST' },
      users: { aggregation: 'UNIQUE_COUNT' },
    },
  });
});
afterAll(() => local.close());

function tracker(windowMs = 60_000, extra: Record<string, unknown> = {}) {
  return createTracker({
    apiKey: local.apiKey,
    baseUrl: local.url,
    meters: {
      calls: local.meters.calls!.token,
      peak: { token: local.meters.peak!.token, aggregation: 'MAX' },
      level: { token: local.meters.level!.token, aggregation: 'LAST' },
      users: { token: local.meters.users!.token, aggregation: 'UNIQUE_COUNT' },
    },
    aggregate: { windowMs },
    retry: { minTimeout: 5, maxTimeout: 20 },
    ...extra,
  });
}

const total = (meter: string, customer: string) =>
  local.usage().find((u) => u.meter === meter && u.customer === customer)?.total;

describe('exact pre-aggregation', () => {
  it('sums a SUM meter into one event per window and group, exactly', async () => {
    local.reset();
    // Windows are aligned to the clock: an hour-long one, so the test never straddles a boundary.
    const t = tracker(3_600_000);
    for (let i = 1; i <= 100; i++) t.track({ meter: 'calls', customerId: 'acme', quantity: (i % 7) + 1 });
    for (let i = 0; i < 10; i++) t.track({ meter: 'calls', customerId: 'globex' });
    await t.shutdown();
    expect(total('calls', 'acme')).toBe(
      Array.from({ length: 100 }, (_, i) => ((i + 1) % 7) + 1).reduce((a, b) => a + b, 0),
    );
    expect(total('calls', 'globex')).toBe(10);
    expect(local.events({ meter: 'calls' })).toHaveLength(2);
    expect(t.stats()).toMatchObject({ tracked: 110, aggregated: 108, delivered: 2 });
  });

  it('keeps the maximum for MAX and the latest by timestamp for LAST', async () => {
    local.reset();
    const t = tracker();
    const base = Date.now() - (Date.now() % 60_000) + 1_000;
    for (const q of [3, 9, 4])
      t.track({ meter: 'peak', customerId: 'acme', quantity: q, timestamp: new Date(base) });
    t.track({ meter: 'level', customerId: 'acme', quantity: 5, timestamp: new Date(base + 300) });
    t.track({ meter: 'level', customerId: 'acme', quantity: 7, timestamp: new Date(base + 100) });
    await t.shutdown();
    expect(total('peak', 'acme')).toBe(9);
    expect(total('level', 'acme')).toBe(5);
  });

  it('keeps one event per distinct user_id for UNIQUE_COUNT', async () => {
    local.reset();
    const t = tracker();
    for (const user of ['u1', 'u2', 'u1', 'u3', 'u2']) {
      t.track({ meter: 'users', customerId: 'acme', metadata: { user_id: user } });
    }
    await t.shutdown();
    expect(total('users', 'acme')).toBe(3);
    expect(local.events({ meter: 'users' })).toHaveLength(3);
  });

  it('counts a request key seen twice in a window once', async () => {
    local.reset();
    const t = tracker();
    t.track({ meter: 'calls', customerId: 'acme', quantity: 5, idempotencyKey: 'req_1_calls' });
    t.track({ meter: 'calls', customerId: 'acme', quantity: 5, idempotencyKey: 'req_1_calls' });
    t.track({ meter: 'calls', customerId: 'acme', quantity: 2, idempotencyKey: 'req_2_calls' });
    await t.shutdown();
    expect(total('calls', 'acme')).toBe(7);
  });

  it('gives each window, flush and tracker instance distinct keys, reused on retry', async () => {
    local.reset();
    local.setFaults({ resetAfter: 0.5, seed: 7 });
    const a = tracker();
    const b = tracker();
    a.track({ meter: 'calls', customerId: 'acme', quantity: 1 });
    await a.flush();
    a.track({ meter: 'calls', customerId: 'acme', quantity: 2 });
    b.track({ meter: 'calls', customerId: 'acme', quantity: 4 });
    await Promise.all([a.shutdown(), b.shutdown()]);
    local.setFaults({});
    const keys = local.events({ meter: 'calls' }).map((e) => e.idempotencyKey);
    expect(new Set(keys).size).toBe(3);
    expect(keys.every((k) => k?.startsWith('agg_'))).toBe(true);
    expect(total('calls', 'acme')).toBe(7);
  });

  it('closes a window on its wall-clock boundary without a flush', async () => {
    local.reset();
    const t = tracker(200);
    t.track({ meter: 'calls', customerId: 'acme', quantity: 3 });
    await sleep(600);
    expect(total('calls', 'acme')).toBe(3);
    await t.shutdown();
  });

  it('aggregates only the listed meters', async () => {
    local.reset();
    const t = tracker(60_000, { aggregate: { windowMs: 60_000, meters: ['peak'] } });
    t.track({ meter: 'calls', customerId: 'acme' });
    t.track({ meter: 'calls', customerId: 'acme' });
    await t.shutdown();
    expect(local.events({ meter: 'calls' })).toHaveLength(2);
  });
});
