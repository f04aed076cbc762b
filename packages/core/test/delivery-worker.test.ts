import { startLocalServer } from '@fluxrate/local';
import { needsBuild } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracker } from '../src/index.js';

const unbuilt = needsBuild('delivery worker', 'packages/core/dist/delivery-worker.js');
type Local = Awaited<ReturnType<typeof startLocalServer>>;
let local: Local;

beforeAll(async () => {
  local = await startLocalServer({ meters: { api_calls: { aggregation: 'SUM' } } });
});
afterAll(() => local.close());

const workerTracker = () =>
  createTracker({
    apiKey: local.apiKey,
    baseUrl: local.url,
    meters: { api_calls: local.meters.api_calls!.token },
    delivery: 'worker',
    retry: { minTimeout: 5, maxTimeout: 20 },
  });

// The worker runs the built script (dist/delivery-worker.js); CI builds before testing.
describe.skipIf(unbuilt)('delivery in a worker thread', () => {
  it('delivers every event once with its key, retrying faults, and flushes', async () => {
    local.reset();
    local.setFaults({ '503': 0.2, resetAfter: 0.1, seed: 3 });
    const t = workerTracker();
    for (let i = 0; i < 200; i++)
      t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: `w_${i}` });
    expect(await t.flush()).toEqual({ settled: true, pending: 0 });
    local.setFaults({});
    expect(t.stats()).toMatchObject({ delivered: 200, failed: 0, dropped: 0 });
    expect(t.stats().retried).toBeGreaterThan(0);
    expect(local.usage()[0]).toMatchObject({ total: 200, eventCount: 200 });
    await t.shutdown();
  });

  it('reports a non-retryable failure with the server detail, without the API key', async () => {
    local.reset();
    const t = createTracker({
      apiKey: local.apiKey,
      baseUrl: local.url,
      meters: { api_calls: '00000000-0000-4000-8000-000000000000' },
      delivery: 'worker',
    });
    const failed: unknown[] = [];
    t.on('failed', (e) => failed.push(e));
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.shutdown();
    expect(failed).toEqual([expect.objectContaining({ reason: 'rejected', status: 404 })]);
    expect(JSON.stringify(failed)).not.toContain(local.apiKey);
  });

  it('lists what is left at the shutdown deadline while Fluxrate is down', async () => {
    local.reset();
    await local.suspend();
    const t = workerTracker();
    for (let i = 0; i < 10; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    const report = await t.shutdown({ timeoutMs: 300 });
    await local.resume();
    expect(report.pending).toHaveLength(10);
    expect(t.stats()).toMatchObject({ dropped: 10, delivered: 0 });
  });
});
