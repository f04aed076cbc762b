import { fileURLToPath } from 'node:url';
import { startFluxrate } from '@fluxrate/testkit';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../local/src/index.js';
import { billable } from '../src/index.js';
import { frameworks, type Harness, harness } from './support.js';

let fx: LocalServer;
const open: Harness[] = [];
beforeAll(async () => {
  fx = await startFluxrate();
});
afterAll(() => fx.close());
beforeEach(() => fx.reset());
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.tracker.shutdown({ timeoutMs: 1_000 })));
});

describe.each(frameworks)('%s', (_name, express) => {
  const setup = (options?: Parameters<typeof harness>[2]) => {
    const h = harness(express, fx, options);
    open.push(h);
    return h;
  };

  // Express-only routing (nested routers, error middleware, prefixes, sendFile); the billing rules
  // themselves are proven for every adapter, once, in test/scenarios.
  it('matches the full pattern of routes in nested routers with prefixes and params', async () => {
    const h = setup({
      routes: {
        'GET /v1/items/:id': 'api_calls',
        'POST /v1/admin/users/:userId/keys': { meter: 'tokens', quantity: 2 },
        'GET /v1': 'api_calls',
      },
    });
    const v1 = express.Router();
    const admin = express.Router();
    v1.get('/items/:id', (req, res) => res.send(req.params.id));
    v1.get('/', (_req, res) => res.send('root'));
    admin.post('/users/:userId/keys', (_req, res) => res.status(201).send('made'));
    v1.use('/admin', admin);
    h.app.use('/v1', v1);
    h.app.get('/items/:id', (_req, res) => res.send('same path, other prefix'));
    await request(h.app).get('/v1/items/7').set('x-customer', 'a').expect(200, '7');
    await request(h.app).post('/v1/admin/users/u1/keys').set('x-customer', 'b').expect(201);
    await request(h.app).get('/v1/').set('x-customer', 'c').expect(200, 'root');
    await request(h.app).get('/items/7').set('x-customer', 'd').expect(200);
    await h.settled(4);
    const got = fx.events().map((e) => `${e.customer} ${e.meter} ${e.quantity}`);
    expect(got.sort()).toEqual(['a api_calls 1', 'b tokens 2', 'c api_calls 1']);
  });

  it('keeps the route pattern when an error middleware answers for a nested route', async () => {
    const h = setup({ routes: { 'GET /v1/items/:id': 'api_calls' } });
    const v1 = express.Router();
    v1.get('/items/:id', () => {
      throw new Error('boom');
    });
    h.app.use('/v1', v1);
    // An app that turns this error into a 200 (e.g. a fallback answer) still bills the table route.
    h.app.use((_err: Error, _req: unknown, res: import('express').Response, _next: unknown) => {
      res.status(200).send('fallback');
    });
    await request(h.app).get('/v1/items/9').set('x-customer', 'acme').expect(200, 'fallback');
    await h.settled(1);
    expect(fx.events()).toHaveLength(1);
  });

  it('bills routes under an app.use prefix annotation, but not unmatched paths below it', async () => {
    const h = setup();
    h.app.use('/v2', billable('api_calls'));
    h.app.get('/v2/search', (_req, res) => res.send('ok'));
    await request(h.app).get('/v2/search').set('x-customer', 'acme').expect(200);
    await request(h.app).get('/v2/nothing-here').set('x-customer', 'acme').expect(404);
    await h.settled(2);
    expect(fx.events()).toHaveLength(1);
  });

  it('bills res.sendFile once the file is sent', async () => {
    const h = setup();
    const file = fileURLToPath(new URL('./fixtures/hello.txt', import.meta.url));
    h.app.get('/file', billable('api_calls'), (_req, res) => res.sendFile(file));
    await request(h.app).get('/file').set('x-customer', 'acme').expect(200, 'hello from a file\n');
    await h.settled(1);
    expect(fx.events()).toHaveLength(1);
  });
});
