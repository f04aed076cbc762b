// Micro-benchmarks (tinybench): `tracker.track()` and the route meter's `begin` + `finish` (the one a
// `RequestLifecycle` bills through).
// Prints one JSON line: `{ trackNs, meterNs, ... }`, nanoseconds per call.
//
// Each tinybench iteration makes BATCH calls (one call is below the timer's resolution) on a
// tracker whose Fluxrate is a closed loopback port, concurrency 1 and a retry delay of minutes: what
// is measured is the caller's cost (validate, key, enqueue), not delivery, which runs later on
// the event loop. A fresh tracker replaces the current one (outside the timed part, in `beforeEach`)
// every REFRESH events: nothing is dropped, and events live about as long as they do in a tracker
// that keeps up (a short backlog), instead of piling up into the old generation, whose GC cost is
// the memory benchmark's subject (a backlog of 100 000 during an outage).
import { randomUUID } from 'node:crypto';
import { createTracker } from '@fluxrate/core';
import { RequestLifecycle } from '@fluxrate/core/adapter';
import { Bench } from 'tinybench';
import { closedPort } from './closed-port.mjs';

const quick = process.argv.includes('--quick');
const BATCH = 1000;
const REFRESH = 10_000;
const port = await closedPort();
const token = '550e8400-e29b-41d4-a716-446655440000';

const fresh = () =>
  createTracker({
    apiKey: 'org_live_bench',
    baseUrl: `http://127.0.0.1:${port}`,
    meters: { api_calls: token },
    concurrency: 1,
    maxQueueSize: REFRESH * 2,
    retry: { minTimeout: 600_000, maxTimeout: 600_000 },
  });

let tracker = fresh();
let sinceRefresh = 0;
const refresh = () => {
  if (sinceRefresh + BATCH > REFRESH) {
    tracker = fresh();
    meter = new RequestLifecycle({ tracker, customer: () => 'cus_bench' }, 'bench').meter;
    specs = meter.compile({ meter: 'api_calls' }, 'GET /v1/search');
    sinceRefresh = 0;
  }
  sinceRefresh += BATCH;
};
let meter = new RequestLifecycle({ tracker, customer: () => 'cus_bench' }, 'bench').meter;
let specs = meter.compile({ meter: 'api_calls' }, 'GET /v1/search');
const args = [{ method: 'GET' }, { statusCode: 200 }];

const bench = new Bench({
  time: quick ? 300 : 1500,
  warmupTime: quick ? 50 : 300,
  iterations: quick ? 8 : 64,
});
bench.add(
  'track',
  () => {
    for (let i = 0; i < BATCH; i++) tracker.track({ meter: 'api_calls', customerId: 'cus_bench' });
  },
  { beforeEach: refresh },
);
bench.add(
  'track-with-key',
  () => {
    for (let i = 0; i < BATCH; i++) {
      tracker.track({
        meter: 'api_calls',
        customerId: 'cus_bench',
        quantity: 3,
        idempotencyKey: `order_${i}`,
      });
    }
  },
  { beforeEach: refresh },
);
bench.add(
  'meter',
  () => {
    for (let i = 0; i < BATCH; i++) {
      const state = meter.begin(args);
      meter.finish(state, specs, args, {
        requestId: state.requestId,
        method: 'GET',
        route: '/v1/search',
        status: 200,
        aborted: false,
        finished: true,
        durationMs: Date.now() - state.startedAt,
      });
    }
  },
  { beforeEach: refresh },
);
// Calibration: the same machine's cost for a call everyone knows, to scale the numbers above on a
// busy machine (an idle modern x86 core does this in well under 100 ns).
bench.add('calibration', () => {
  for (let i = 0; i < BATCH; i++) randomUUID({ disableEntropyCache: false });
});
await bench.run();

const perCallNs = (name) => {
  const task = bench.tasks.find((t) => t.name === name);
  return (task.result.latency.mean * 1e6) / BATCH; // ms per batch -> ns per call
};
process.stdout.write(
  `${JSON.stringify({
    trackNs: perCallNs('track'),
    trackWithKeyNs: perCallNs('track-with-key'),
    meterNs: perCallNs('meter'),
    randomUuidNs: perCallNs('calibration'),
    batch: BATCH,
  })}\n`,
);
process.exit(0);
