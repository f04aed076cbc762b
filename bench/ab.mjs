// Alternating A/B of two variants of one app (default: fastify bare vs aggregate), to separate a
// variant's cost from the machine's drift: `node bench/ab.mjs fastify bare aggregate 3 5`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import autocannon from 'autocannon';

const [framework = 'fastify', a = 'bare', b = 'aggregate', rounds = '3', seconds = '5'] =
  process.argv.slice(2);
const sink = spawn(process.execPath, [new URL('./sink.mjs', import.meta.url).pathname], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = await once(sink.stdout, 'data');
const sinkInfo = line.toString().trim().split('\n')[0];

async function measure(variant) {
  const app = spawn(
    process.execPath,
    [new URL(`./apps/${framework}.mjs`, import.meta.url).pathname, variant],
    {
      env: { ...process.env, BENCH_SINK: sinkInfo },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [ready] = await once(app.stdout, 'data');
  const { port } = JSON.parse(ready.toString().split('\n')[0]);
  const url = `http://127.0.0.1:${port}/v1/search`;
  await autocannon({ url, connections: 50, duration: 1 });
  const result = await autocannon({ url, connections: 50, duration: Number(seconds) });
  app.kill('SIGTERM');
  await once(app, 'exit');
  return result.requests.average;
}

const rows = { [a]: [], [b]: [] };
for (let i = 0; i < Number(rounds); i++) for (const v of [a, b]) rows[v].push(await measure(v));
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const v of [a, b])
  console.log(
    `${framework} ${v}: ${rows[v].map((x) => Math.round(x)).join(', ')} req/s (median ${Math.round(median(rows[v]))})`,
  );
console.log(`ratio ${b}/${a} (medians): ${(median(rows[b]) / median(rows[a])).toFixed(2)}x`);
sink.kill('SIGTERM');
