import { captureWarnings } from '@fluxrate/testkit';
import express from 'express';
import request from 'supertest';
import { expect, it } from 'vitest';
import { billable } from '../src/index.js';

it('warns once, without the query string, and lets the request through when billable() runs without fluxrateMiddleware()', async () => {
  const warnings = captureWarnings();
  const app = express();
  app.get('/v1/search', billable('api_calls'), (req, res) => {
    req.fluxrate.addUsage('api_calls', 2); // must not throw either
    res.json({ id: req.fluxrate.requestId });
  });
  await request(app).get('/v1/search?q=private-query').expect(200);
  await request(app).get('/v1/search').expect(200);
  const ours = warnings.of('FLUXRATE_MIDDLEWARE_MISSING');
  expect(ours).toHaveLength(1);
  expect(ours[0]).toMatch(/GET \/v1\/search but .*fluxrateMiddleware\(\)/);
  expect(ours[0]).not.toContain('private-query');
});
