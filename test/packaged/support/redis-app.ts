// An app tracking straight into the Redis outbox (@fluxrate/redis with an ioredis client, from the
// installed packages), rendered for each loader. It delivers too (a consumer of the stream). Env: the
// tracker's (local.ts), REDIS_URL, STREAM, CLIENT (`url`: the outbox makes its own connection from the
// URL; `ioredis`: the app's own `new Redis(url)`, ioredis defaults). Prints `{ event: 'listening' }`; commands: `track`
// ({ n, customer }: n events of 1), `flush` (settled, stats, problems), `exit`.
import { type Loader, render } from './render.js';

const BODY = `
const env = process.env;
const print = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
const problems = [];
process.on('warning', (w) => {
  if (String(w.code).startsWith('FLUXRATE_')) problems.push(w.code + ': ' + w.message);
});
let redis = env.REDIS_URL;
if (env.CLIENT === 'ioredis') {
  redis = new Redis(env.REDIS_URL);
  redis.on('error', () => {}); // refused connections while Redis is down: the outbox reports what matters
}
const tracker = createTracker({
  apiKey: env.FLUXRATE_API_KEY,
  baseUrl: env.FLUXRATE_BASE_URL,
  meters: { api_calls: env.METER_API_CALLS },
  retry: { minTimeout: 20, maxTimeout: 250 },
  outbox: redisOutbox({ redis, stream: env.STREAM }),
});
const commands = {
  track: ({ n, customer }) => {
    for (let i = 0; i < n; i++) tracker.track({ meter: 'api_calls', customerId: customer, quantity: 1 });
    return { stats: tracker.stats() };
  },
  flush: async () => {
    const result = await tracker.flush({ timeoutMs: 15_000 });
    return { settled: result.settled, stats: tracker.stats(), problems };
  },
  exit: async () => {
    await tracker.shutdown({ timeoutMs: 3_000 });
    setImmediate(() => process.exit(0));
    return {};
  },
};
createInterface({ input: process.stdin }).on('line', async (text) => {
  const command = JSON.parse(text);
  print({ event: command.do, ...(await commands[command.do](command)) });
});
print({ event: 'listening' });
`;

export function redisApp(loader: Loader): string {
  return render(
    loader,
    [
      ['{ createInterface }', 'node:readline'],
      ['{ createTracker }', '@fluxrate/core'],
      ['{ redisOutbox }', '@fluxrate/redis'],
      ['{ Redis }', 'ioredis'],
    ],
    BODY,
  );
}
