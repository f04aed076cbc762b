// Two quick measurements for the README (not a benchmark suite; the CPU-per-request bench lives in bench/):
// 1. app-side CPU per tracked event with the Redis outbox and consume: false (track() + the batched append),
//    against the same tracker with `disabled: true` (validation only);
// 2. forwarder throughput: one fluxrate-forwarder process draining a preloaded stream into fluxrate-local.
// Needs `pnpm build` and redis-server on PATH. Usage: node packages/redis/bench/measure.mjs [events]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createTracker } from '../../core/dist/index.js';
import { startLocalServer } from '../../local/dist/index.js';
import { redisOutbox } from '../dist/index.js';

const N = Number(process.argv[2] ?? 20_000);
const port = 20_000 + Math.floor(Math.random() * 20_000);
const redis = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  {
    stdio: 'ignore',
  },
);
await new Promise((resolve) => setTimeout(resolve, 300));
const url = `redis://127.0.0.1:${port}`;
const fx = await startLocalServer({ meters: { api_calls: {} } });
const meters = { api_calls: fx.meters.api_calls.token };

async function cpuPerEvent(options) {
  const tracker = createTracker({ apiKey: fx.apiKey, baseUrl: fx.url, meters, coalesce: false, ...options });
  const start = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i += 100) {
    for (let j = 0; j < 100; j++) tracker.track({ meter: 'api_calls', customerId: `c${j % 7}`, quantity: 1 });
    await new Promise((resolve) => setImmediate(resolve));
  }
  await tracker.flush();
  const cpu = process.cpuUsage(start);
  const wall = performance.now() - t0;
  await tracker.shutdown();
  return { cpuUs: (cpu.user + cpu.system) / N, wallMs: wall };
}

await cpuPerEvent({ disabled: true }); // warm-up
const bare = await cpuPerEvent({ disabled: true });
const append = await cpuPerEvent({ outbox: redisOutbox({ redis: url, stream: 'm:app', consume: false }) });
console.log(
  `app side, ${N} events: disabled tracker ${bare.cpuUs.toFixed(2)} µs/event; ` +
    `Redis outbox, consume: false ${append.cpuUs.toFixed(2)} µs/event (+${(append.cpuUs - bare.cpuUs).toFixed(2)} µs), ` +
    `appended in ${append.wallMs.toFixed(0)} ms`,
);

// Forwarder: drain a preloaded stream.
const preload = createTracker({
  apiKey: fx.apiKey,
  baseUrl: fx.url,
  meters,
  coalesce: false,
  outbox: redisOutbox({ redis: url, stream: 'm:fwd', consume: false }),
});
for (let i = 0; i < N; i++) {
  preload.track({ meter: 'api_calls', customerId: `c${i % 7}`, quantity: 1 });
  if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve)); // stay below the coalescing mark
}
await preload.flush();
await preload.shutdown();
const bin = fileURLToPath(new URL('../bin/fluxrate-forwarder.mjs', import.meta.url));
const t0 = performance.now();
const fwd = spawn(
  process.execPath,
  [bin, '--redis', url, '--stream', 'm:fwd', '--json', '--concurrency', '16', '--stats-interval', '0'],
  {
    env: { ...process.env, FLUXRATE_API_KEY: fx.apiKey, FLUXRATE_BASE_URL: fx.url },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
const before = fx.stats().stored;
while (fx.stats().stored - before < N) await new Promise((resolve) => setTimeout(resolve, 50));
const seconds = (performance.now() - t0) / 1000;
fwd.kill('SIGTERM');
await once(fwd, 'exit');
console.log(
  `forwarder: ${N} events in ${seconds.toFixed(2)} s = ${Math.round(N / seconds)} events/s (1 process, concurrency 16, local server in the measuring process)`,
);
await fx.close();
redis.kill();
