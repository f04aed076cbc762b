import { expectWarnings, localApiCalls, startLocal, storedQuantity, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

const local = () => startLocal({ seed: 1 });

const sum = storedQuantity;

// Issue #13 items 5 and 7: both failed on main before the aggregation stage (8c7e320).
describe('aggregation keeps caller keys dedupable and stays within the bound', () => {
  it('bills a caller idempotency key once when it is tracked in two windows (across a flush)', async () => {
    const fx = await local();
    const t = tracker({
      ...localApiCalls(fx),
      aggregate: { windowMs: 100 },
    });
    t.track({ meter: 'api_calls', customerId: 'acme', quantity: 5, idempotencyKey: 'order_789' });
    await t.flush();
    // A webhook redelivery with the same order id, in a later window.
    t.track({ meter: 'api_calls', customerId: 'acme', quantity: 5, idempotencyKey: 'order_789' });
    await t.flush();
    expect(sum(fx)).toBe(5);
    expect(fx.stats().deduplicated).toBe(1);
  });

  it('bills a caller key once across two tracker instances with aggregation on', async () => {
    const fx = await local();
    const options = {
      ...localApiCalls(fx),
      aggregate: { windowMs: 1_000 },
    };
    const a = tracker(options);
    const b = tracker(options);
    a.track({ meter: 'api_calls', customerId: 'acme', quantity: 2, idempotencyKey: 'job_1' });
    b.track({ meter: 'api_calls', customerId: 'acme', quantity: 2, idempotencyKey: 'job_1' });
    await Promise.all([a.flush(), b.flush()]);
    expect(sum(fx)).toBe(2);
  });

  it('still merges generated keys exactly', async () => {
    const fx = await local();
    const t = tracker({
      ...localApiCalls(fx),
      aggregate: { windowMs: 60_000 },
    });
    for (let i = 0; i < 50; i++) t.track({ meter: 'api_calls', customerId: 'acme', quantity: 2 });
    await t.flush();
    expect(sum(fx)).toBe(100);
    expect(fx.events({ meter: 'api_calls' })).toHaveLength(1);
    expect(t.stats()).toMatchObject({ tracked: 50, aggregated: 49, delivered: 1 });
  });

  it('counts open aggregation groups toward maxQueueSize and never holds more', () => {
    expectWarnings('FLUXRATE_EVENT_DROPPED', 'FLUXRATE_COALESCING');
    const t = tracker({ aggregate: { windowMs: 60_000, meters: ['api_calls'] }, maxQueueSize: 1_000 });
    // 900 events of a meter that is not aggregated wait in the outbox (nothing can be delivered: port 9)...
    for (let i = 0; i < 900; i++)
      t.track({ meter: 'users', customerId: 'acme', metadata: { user_id: `u${i}` } });
    // ...and 1 000 customers each open an aggregation group: only 100 of them fit.
    for (let i = 0; i < 1_000; i++) t.track({ meter: 'api_calls', customerId: `c${i}` });
    const held = () => t.stats().queued + t.stats().inFlight;
    expect(held()).toBeLessThanOrEqual(1_000);
    expect(t.stats()).toMatchObject({ tracked: 1_000, dropped: 900 });
    // Closing every window turns groups into events one for one: still within the bound.
    void t.flush();
    expect(held()).toBeLessThanOrEqual(1_000);
  });
});
