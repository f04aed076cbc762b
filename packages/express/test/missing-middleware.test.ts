import express from 'express';
import request from 'supertest';
import { expect, it } from 'vitest';
import { billable } from '../src/index.js';

it('warns once and lets the request through when billable() runs without fluxrateMiddleware()', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const app = express();
    app.get('/v1/search', billable('api_calls'), (req, res) => {
      req.fluxrate.addUsage('api_calls', 2); // must not throw either
      res.json({ id: req.fluxrate.requestId });
    });
    await request(app).get('/v1/search').expect(200);
    await request(app).get('/v1/search').expect(200);
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    const ours = warnings.filter((w) => (w as { code?: string }).code === 'FLUXRATE_MIDDLEWARE_MISSING');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.message).toMatch(/GET \/v1\/search.*fluxrateMiddleware\(\)/);
  } finally {
    process.off('warning', onWarning);
  }
});
