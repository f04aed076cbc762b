// Fastify app, one variant per process: `node apps/fastify.mjs <bare|metered|aggregate|fetch|pool|segment>`.
import Fastify from 'fastify';
import { createAnchor } from './anchors.mjs';
import { benchTracker, CUSTOMER, countBilled, SEARCH_RESULT, serve, variantOptions } from './common.mjs';

const variant = process.argv[2] ?? 'bare';
const app = Fastify({ logger: false });
app.addHook('onRequest', (_request, reply, done) => {
  countBilled(reply.raw);
  done();
});

let tracker;
let anchor;
if (variant === 'metered' || variant === 'aggregate') {
  const { fluxrate } = await import('@fluxrate/fastify');
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
    if (tracker)
      return { report: summary(await tracker.shutdown({ timeoutMs: 30_000 })), stats: tracker.stats() };
    if (anchor) return anchor.drain();
    return null;
  },
});

function summary(report) {
  return {
    delivered: report.delivered,
    failed: report.failed,
    dropped: report.dropped,
    pending: report.pending.length,
  };
}
