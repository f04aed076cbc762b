// Express app, one variant per process: `node apps/express.mjs <bare|metered|aggregate>`.
import express from 'express';
import {
  benchTracker,
  CUSTOMER,
  closeHttp,
  countBilled,
  SEARCH_RESULT,
  serve,
  variantOptions,
} from './common.mjs';
import { load } from './loader.mjs';

const variant = process.argv[2] ?? 'bare';
const app = express();
app.disable('x-powered-by');
app.use((_req, res, next) => {
  countBilled(res);
  next();
});

let tracker;
if (variant === 'metered' || variant === 'aggregate') {
  const { fluxrateMiddleware, billable } = await load('@fluxrate/express');
  tracker = benchTracker(variantOptions(variant));
  app.use(fluxrateMiddleware({ tracker, customer: () => CUSTOMER }));
  app.get('/v1/search', billable({ meter: 'api_calls' }), (_req, res) => res.json(SEARCH_RESULT));
} else {
  app.get('/v1/search', (_req, res) => res.json(SEARCH_RESULT));
}

const server = app.listen(0, '127.0.0.1', () => {
  serve(server.address().port, {
    closeServer: () => closeHttp(server),
    stats: () => tracker?.stats(),
    drain: async () => {
      if (!tracker) return null;
      const report = await tracker.shutdown({ timeoutMs: 30_000 });
      const { delivered, failed, dropped } = report;
      return {
        report: { delivered, failed, dropped, pending: report.pending.length },
        stats: tracker.stats(),
      };
    },
  });
});
