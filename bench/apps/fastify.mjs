// Fastify app, one variant per process: `node apps/fastify.mjs <bare|metered|aggregate|redis|fetch|pool|segment>`.
// `redis`: per event with `redisOutbox({ redis, consume: false })`; a redis-server and one forwarder
// (delivering to the sink) are started here, before the app listens (redis-fleet.mjs).
import Fastify from 'fastify';
import { createAnchor } from './anchors.mjs';
import {
  benchTracker,
  CUSTOMER,
  countBilled,
  SEARCH_RESULT,
  serve,
  sink,
  variantOptions,
} from './common.mjs';
import { load } from './loader.mjs';

const variant = process.argv[2] ?? 'bare';
const app = Fastify({ logger: false });
app.addHook('onRequest', (_request, reply, done) => {
  countBilled(reply.raw);
  done();
});

let tracker;
let anchor;
let fleet;
if (variant === 'redis') {
  ({ fleet, tracker } = await redisTracker());
  const { fluxrate } = await load('@fluxrate/fastify');
  await app.register(fluxrate, { tracker, customer: () => CUSTOMER });
} else if (variant === 'metered' || variant === 'aggregate') {
  const { fluxrate } = await load('@fluxrate/fastify');
  tracker = benchTracker(variantOptions(variant));
  await app.register(fluxrate, { tracker, customer: () => CUSTOMER });
} else if (variant !== 'bare') {
  anchor = createAnchor(variant);
  // Like ours: one event per successful response, sent after the response, nothing awaited.
  app.addHook('onResponse', (_request, reply, done) => {
    if (reply.statusCode < 300) anchor.send();
    done();
  });
}

app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => SEARCH_RESULT);

await app.listen({ port: 0, host: '127.0.0.1' });
serve(app.server.address().port, {
  closeServer: () => app.close(),
  stats: () => tracker?.stats(),
  drain: async () => {
    if (fleet) return fleet.drain();
    if (tracker)
      return { report: summary(await tracker.shutdown({ timeoutMs: 30_000 })), stats: tracker.stats() };
    if (anchor) return anchor.drain();
    return null;
  },
});

/**
 * The app's own ioredis client, as a user would pass it. At each SIGUSR2 mark (registered after
 * common.mjs's, so at the same moments) the forwarder's and Redis's CPU and the events handed off are
 * recorded; the drain reports them between the first two marks: the forwarder's CPU per event.
 */
async function redisTracker() {
  const { startRedisFleet } = await import('./redis-fleet.mjs');
  const { Redis } = await import('ioredis');
  const { redisOutbox } = await load('@fluxrate/redis');
  const fleet = await startRedisFleet(sink);
  // BENCH_REDIS_INTERVAL_MS: another appendIntervalMs than the default, to compare.
  const raw = process.env.BENCH_REDIS_INTERVAL_MS;
  const interval = raw === undefined ? {} : { appendIntervalMs: Number(raw) };
  const redis = new Redis(fleet.url);
  const outbox = redisOutbox({ redis, consume: false, ...interval });
  const tracker = benchTracker({ outbox });
  const marks = [];
  process.on('SIGUSR2', () =>
    marks.push({ ...fleet.cpu(), handedOff: tracker.stats().handedOff, atMs: performance.now() }),
  );
  const drain = async () => {
    const { appends, appended } = await outbox.stats();
    const report = summary(await tracker.shutdown({ timeoutMs: 30_000 }));
    const stats = tracker.stats();
    await redis.quit();
    const stopped = await fleet.stop();
    const [a, b] = marks;
    const events = b ? b.handedOff - a.handedOff : 0;
    const forwarder = b && {
      events,
      cpuUs: b.forwarderUs - a.forwarderUs,
      usPerEvent: (b.forwarderUs - a.forwarderUs) / events,
      redisUsPerEvent: (b.redisUs - a.redisUs) / events,
      eventsPerSecond: (events * 1000) / (b.atMs - a.atMs),
      delivered: stopped?.delivered,
      eventsPerAppend: appended / appends, // the whole run, warm-up included
    };
    return { report, stats, forwarder };
  };
  return { fleet: { drain }, tracker };
}

function summary(report) {
  return {
    delivered: report.delivered,
    failed: report.failed,
    dropped: report.dropped,
    pending: report.pending.length,
  };
}
