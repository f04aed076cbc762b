// In-process A/B of the Redis outbox's app-side cost per event when events arrive one per event-loop
// turn (as requests do at a fixed rate), against a disabled tracker (validation only). Blocks
// alternated; median CPU per event per configuration.
// `node bench/micro/redis-append.mjs [blocks] [intervals, e.g. 0,2,5]`; needs redis-server on PATH.
import { createTracker } from '@fluxrate/core';
import { redisOutbox } from '@fluxrate/redis';
import { Redis } from 'ioredis';
import { startRedisFleet } from '../apps/redis-fleet.mjs';
import { closedPort } from './closed-port.mjs';

const BLOCKS = Number(process.argv[2] ?? 6);
const INTERVALS = (process.argv[3] ?? '0,2,5').split(',').map(Number);
const PER_BLOCK = 2000;
const port = await closedPort();
const base = { apiKey: 'org_live_bench', baseUrl: `http://127.0.0.1:${port}` };
const meters = { api_calls: '550e8400-e29b-41d4-a716-446655440000' };
// No forwarder: the sink is a closed port; the stream is trimmed between blocks.
const fleet = await startRedisFleet({ url: base.baseUrl, apiKey: base.apiKey }, { forwarder: false });
const redis = new Redis(fleet.url);
const admin = new Redis(fleet.url);

/** Hands each turn's events off at once, no I/O: core's own cost for an outbox that delivers elsewhere. */
class HandOffOutbox {
  kind = 'handoff';
  size = 0;
  #batch = [];
  open(host) {
    this.host = host;
    return [];
  }
  append(event) {
    if (this.#batch.push(event) === 1) setImmediate(() => this.host.handedOff(this.#batch.splice(0)));
  }
  lease = () => [];
  nextDueAt = () => undefined;
  settle() {}
  hasten() {}
  evict = () => [];
  async close() {}
}

const trackers = {
  disabled: createTracker({ ...base, meters, disabled: true }),
  handoff: createTracker({ ...base, meters, outbox: new HandOffOutbox() }),
};
for (const ms of INTERVALS)
  trackers[`interval ${ms}`] = createTracker({
    ...base,
    meters,
    outbox: redisOutbox({ redis, consume: false, stream: `m:${ms}`, appendIntervalMs: ms }),
  });

/** One event per turn, ~3 000 per second (a timer tick of 1 ms, 3 events spread over turns). */
async function block(tracker) {
  const start = process.cpuUsage();
  for (let i = 0; i < PER_BLOCK; i++) {
    tracker.track({ meter: 'api_calls', customerId: 'cus_bench', quantity: 1 });
    await new Promise((resolve) => (i % 3 === 2 ? setTimeout(resolve, 1) : setImmediate(resolve)));
  }
  await tracker.flush({ timeoutMs: 10_000 });
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / PER_BLOCK;
}

/** Script calls so far (every append is one EVALSHA; nothing else runs one here). */
async function scriptCalls() {
  const info = await admin.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

const results = Object.fromEntries(Object.keys(trackers).map((k) => [k, []]));
const appends = Object.fromEntries(Object.keys(trackers).map((k) => [k, 0]));
for (let b = 0; b < BLOCKS; b++) {
  for (const [name, tracker] of Object.entries(trackers)) {
    const calls = await scriptCalls();
    results[name].push(await block(tracker));
    appends[name] += (await scriptCalls()) - calls;
    for (const ms of INTERVALS) await admin.del(`m:${ms}`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bare = median(results.disabled.slice(1));
for (const [name, runs] of Object.entries(results)) {
  const m = median(runs.slice(1)); // the first block warms up
  console.log(
    `${name}: ${m.toFixed(2)} µs/event${name === 'disabled' ? '' : ` (+${(m - bare).toFixed(2)})`}; ` +
      `${(appends[name] / BLOCKS / PER_BLOCK).toFixed(3)} appends/event; runs ${runs.map((r) => r.toFixed(1)).join(' ')}`,
  );
}
for (const tracker of Object.values(trackers)) await tracker.shutdown({ timeoutMs: 5_000 });
redis.disconnect();
admin.disconnect();
await fleet.stop();
