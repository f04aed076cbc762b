import {
  expectWarnings,
  localApiCalls,
  record,
  startLocal,
  storedQuantity,
  tracker,
} from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

const local = () => startLocal({ seed: 1 });
const sum = storedQuantity;

// Issue #15 item 3: on main, events arriving faster than delivery were dropped at maxQueueSize.
describe('coalescing under sustained load', () => {
  it('bills every event exactly when arrivals outrun delivery, dropping none', async () => {
    expectWarnings('FLUXRATE_COALESCING');
    const fx = await local();
    const t = tracker({
      ...localApiCalls(fx),
      maxQueueSize: 1_000,
    });
    const seen = record(t);
    // 20 000 billable requests in one burst: 20x the bound.
    for (let i = 0; i < 20_000; i++) t.track({ meter: 'api_calls', customerId: `c${i % 4}`, quantity: 1 });
    expect(t.stats().queued + t.stats().inFlight).toBeLessThanOrEqual(1_000);
    await t.flush();
    expect(t.stats()).toMatchObject({ tracked: 20_000, dropped: 0, failed: 0 });
    expect(t.stats().coalesced).toBeGreaterThan(18_000);
    expect(sum(fx)).toBe(20_000);
    expect(seen.coalesced.length).toBeGreaterThan(0);
    expect(seen.coalesced.reduce((n, c) => n + c.events - c.into, 0)).toBe(t.stats().coalesced);
  });

  it('never coalesces caller keys: past the bound they drop, counted', async () => {
    expectWarnings('FLUXRATE_EVENT_DROPPED');
    const t = tracker({ maxQueueSize: 100, coalesce: { highWater: 10 } });
    for (let i = 0; i < 300; i++)
      t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: `order_${i}` });
    expect(t.stats()).toMatchObject({ tracked: 100, dropped: 200, coalesced: 0 });
  });

  it('can be turned off', () => {
    const t = tracker({ maxQueueSize: 100, coalesce: false });
    for (let i = 0; i < 300; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(t.stats()).toMatchObject({ tracked: 100, dropped: 200, coalesced: 0 });
  });
});
