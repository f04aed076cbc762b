// RSS growth while Fluxrate is down: 100 000 events queued against a closed loopback port,
// concurrency 1 (one attempt at a time, retries parked). Run with --expose-gc.
// Prints `{ events, queued, dropped, rssGrowthMb, heapGrowthMb }`.
import { randomUUID } from 'node:crypto';
import { createTracker } from '@fluxrate/core';
import { closedPort } from './closed-port.mjs';

const EVENTS = 100_000;
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const port = await closedPort();
const tracker = createTracker({
  apiKey: 'org_live_bench',
  baseUrl: `http://127.0.0.1:${port}`,
  meters: { api_calls: '550e8400-e29b-41d4-a716-446655440000' },
  concurrency: 1,
  maxQueueSize: EVENTS,
  retry: { minTimeout: 50, maxTimeout: 1000 },
});
await settle();
const before = process.memoryUsage();
for (let i = 0; i < EVENTS; i++) {
  // What the route meter sends: a request key per event, a customer, a small metadata object.
  tracker.track({
    meter: 'api_calls',
    customerId: `cus_${i % 500}`,
    idempotencyKey: `req_${randomUUID()}_api_calls`,
    metadata: { route: 'GET /v1/search' },
  });
}
// Let the dispatcher fail a few attempts so events sit both in the queue and in the retry heap.
await new Promise((resolve) => setTimeout(resolve, 500));
await settle();
const after = process.memoryUsage();
const stats = tracker.stats();
process.stdout.write(
  `${JSON.stringify({
    events: EVENTS,
    queued: stats.queued + stats.inFlight,
    dropped: stats.dropped,
    retried: stats.retried,
    rssGrowthMb: (after.rss - before.rss) / 2 ** 20,
    heapGrowthMb: (after.heapUsed - before.heapUsed) / 2 ** 20,
  })}\n`,
);
process.exit(0);
