import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../local/src/index.js';
import { billable } from '../src/index.js';
import { frameworks, type Harness, harness, listen, startFluxrate, UUID, until } from './support.js';

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

  it('bills a billable route exactly once with its meter, customer, quantity and request key', async () => {
    const h = setup();
    h.app.get('/v1/search', billable({ meter: 'api_calls' }), (req, res) => {
      res.json({ id: req.fluxrate.requestId });
    });
    const res = await request(h.app).get('/v1/search').set('x-customer', 'acme').expect(200);
    await h.settled(1);
    expect(res.body.id).toMatch(UUID);
    const events = fx.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      meterToken: fx.meters.api_calls!.token,
      customer: 'acme',
      quantity: 1,
      idempotencyKey: `req_${res.body.id}_api_calls`,
    });
  });

  it('does not bill a route that is neither annotated nor in the routes table', async () => {
    const h = setup();
    h.app.get('/free', (_req, res) => res.send('free'));
    h.app.get('/paid', billable('api_calls'), (_req, res) => res.send('paid'));
    await request(h.app).get('/free').set('x-customer', 'acme').expect(200, 'free');
    await request(h.app).get('/paid').set('x-customer', 'acme').expect(200, 'paid');
    await h.settled(2);
    expect(fx.events()).toHaveLength(1);
  });

  it('does not bill 4xx or 5xx responses by default', async () => {
    const h = setup();
    h.app.get('/missing', billable('api_calls'), (_req, res) => res.status(404).send('nope'));
    h.app.get('/broken', billable('api_calls'), (_req, res) => res.status(503).send('down'));
    h.app.get('/ok', billable('api_calls'), (_req, res) => res.send('ok'));
    await request(h.app).get('/missing').set('x-customer', 'acme').expect(404);
    await request(h.app).get('/broken').set('x-customer', 'acme').expect(503);
    await request(h.app).get('/ok').set('x-customer', 'acme').expect(200);
    await h.settled(3);
    expect(fx.events()).toHaveLength(1);
  });

  it('lets a global `when` bill 4xx and a route `when` veto a 200', async () => {
    const h = setup({ when: (_req, _res, outcome) => outcome.finished && outcome.status < 500 });
    h.app.get('/missing', billable('api_calls'), (_req, res) => res.status(404).end());
    h.app.get('/never', billable({ meter: 'tokens', when: () => false }), (_req, res) => res.end());
    await request(h.app).get('/missing').set('x-customer', 'acme').expect(404);
    await request(h.app).get('/never').set('x-customer', 'acme').expect(200);
    await h.settled(2);
    expect(fx.events().map((e) => e.meter)).toEqual(['api_calls']);
  });

  it('bills the quantity from res.locals, setQuantity and addUsage (also for a meter not on the route)', async () => {
    const h = setup();
    h.app.post(
      '/v1/chat',
      billable({ meter: 'tokens', quantity: (_req, res) => res.locals.tokens }),
      (_req, res) => {
        res.locals.tokens = 42;
        res.send('ok');
      },
    );
    h.app.post('/v1/stream', billable('tokens'), (req, res) => {
      req.fluxrate.addUsage('tokens', 5);
      req.fluxrate.addUsage('tokens', 7);
      req.fluxrate.addUsage('api_calls', 3);
      res.send('ok');
    });
    h.app.post('/v1/set', billable({ meter: 'tokens', quantity: 100 }), (req, res) => {
      req.fluxrate.setQuantity('tokens', 9);
      res.send('ok');
    });
    await request(h.app).post('/v1/chat').set('x-customer', 'a').expect(200);
    await request(h.app).post('/v1/stream').set('x-customer', 'b').expect(200);
    await request(h.app).post('/v1/set').set('x-customer', 'c').expect(200);
    await h.settled(3);
    const got = fx.events().map((e) => `${e.customer} ${e.meter} ${e.quantity}`);
    expect(got.sort()).toEqual(['a tokens 42', 'b api_calls 3', 'b tokens 12', 'c tokens 9']);
  });

  it('bills several meters on one route, one key per meter', async () => {
    const h = setup();
    h.app.post(
      '/v1/chat',
      billable([{ meter: 'api_calls' }, { meter: 'tokens', quantity: () => 250 }]),
      (req, res) => res.json({ id: req.fluxrate.requestId }),
    );
    const res = await request(h.app).post('/v1/chat').set('x-customer', 'acme').expect(200);
    await h.settled(1);
    const keys = Object.fromEntries(fx.events().map((e) => [e.meter, [e.idempotencyKey, e.quantity]]));
    expect(keys).toEqual({
      api_calls: [`req_${res.body.id}_api_calls`, 1],
      tokens: [`req_${res.body.id}_tokens`, 250],
    });
  });

  it('does not bill a request the handler skips', async () => {
    const h = setup();
    h.app.get('/v1/search', billable('api_calls'), (req, res) => {
      req.fluxrate.skip();
      res.send('cached');
    });
    await request(h.app).get('/v1/search').set('x-customer', 'acme').expect(200, 'cached');
    await h.settled(1);
    expect(fx.events()).toHaveLength(0);
    expect(h.skipped).toEqual([{ reason: 'opted-out', route: 'GET /v1/search' }]);
  });

  describe('routes table', () => {
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

    it('bills once when a route is both annotated and in the table: the annotation wins', async () => {
      const h = setup({ routes: { 'GET /v1/search': 'api_calls', 'GET /v1/opt-out': 'api_calls' } });
      h.app.get('/v1/search', billable({ meter: 'tokens', quantity: 3 }), (_req, res) => res.send('ok'));
      h.app.get('/v1/opt-out', billable(false), (_req, res) => res.send('ok'));
      await request(h.app).get('/v1/search').set('x-customer', 'acme').expect(200);
      await request(h.app).get('/v1/opt-out').set('x-customer', 'acme').expect(200);
      await h.settled(2);
      expect(fx.events().map((e) => `${e.meter} ${e.quantity}`)).toEqual(['tokens 3']);
    });
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

  it('bills once when fluxrateMiddleware() is mounted twice on the same request', async () => {
    const h = setup();
    h.app.use(h.middleware);
    h.app.get('/v1/search', billable('api_calls'), (_req, res) => res.send('ok'));
    await request(h.app).get('/v1/search').set('x-customer', 'acme').expect(200);
    await h.settled(1);
    expect(fx.events()).toHaveLength(1);
  });

  describe('idempotency keys', () => {
    it('ignores forged X-Request-Id and Idempotency-Key headers in default mode', async () => {
      const h = setup();
      h.app.post('/v1/search', billable('api_calls'), (_req, res) => res.send('ok'));
      for (let i = 0; i < 10; i++) {
        await request(h.app)
          .post('/v1/search')
          .set('x-customer', 'acme')
          .set('x-request-id', 'forged')
          .set('idempotency-key', 'forged')
          .expect(200);
      }
      await h.settled(10);
      const keys = fx.events().map((e) => e.idempotencyKey);
      expect(keys).toHaveLength(10);
      expect(new Set(keys).size).toBe(10);
      for (const key of keys) expect(key).toMatch(/^req_[0-9a-f-]{36}_api_calls$/);
    });

    it("honours Idempotency-Key in 'client-key' mode, scoped to the customer", async () => {
      const h = setup({ idempotency: 'client-key' });
      h.app.post('/v1/orders', billable('api_calls'), (_req, res) => res.send('ok'));
      const send = (customer: string) =>
        request(h.app)
          .post('/v1/orders')
          .set('x-customer', customer)
          .set('idempotency-key', 'order-1')
          .expect(200);
      await send('acme');
      await send('acme');
      await send('globex');
      await h.settled(3);
      expect(fx.events().map((e) => e.customer)).toEqual(['acme', 'globex']);
      expect(fx.stats().deduplicated).toBe(1);
    });
  });

  describe('user functions that fail', () => {
    it('leave the response intact, send nothing and emit an error naming the route', async () => {
      const h = setup({
        customer: () => {
          throw new Error('no session');
        },
      });
      h.app.get('/v1/items/:id', billable('api_calls'), (_req, res) => res.status(200).json({ ok: true }));
      await request(h.app).get('/v1/items/1').expect(200, { ok: true });
      await h.settled(1);
      expect(fx.events()).toHaveLength(0);
      expect(h.errors).toHaveLength(1);
      expect(h.errors[0]).toMatchObject({ route: 'GET /v1/items/:id', meter: 'api_calls' });
      expect(h.errors[0]!.reason).toMatch(/customer threw: no session/);
    });

    it.each([
      ['NaN', Number.NaN],
      ['a negative number', -3],
      ['a string', 'ten'],
      ['Infinity', Number.POSITIVE_INFINITY],
    ])('report a quantity of %s as an error without billing', async (_label, value) => {
      const h = setup();
      h.app.post('/v1/chat', billable({ meter: 'tokens', quantity: () => value as number }), (_req, res) =>
        res.status(201).send('created'),
      );
      await request(h.app).post('/v1/chat').set('x-customer', 'acme').expect(201, 'created');
      await h.settled(1);
      expect(fx.events()).toHaveLength(0);
      expect(h.errors).toHaveLength(1);
      expect(h.errors[0]).toMatchObject({ route: 'POST /v1/chat', meter: 'tokens' });
      expect(h.errors[0]!.reason).toMatch(/^quantity /);
    });

    it('report a throwing `when`, a throwing metadata and a non-string customer', async () => {
      const h = setup();
      const boom = () => {
        throw new Error('bad');
      };
      h.app.get('/a', billable({ meter: 'api_calls', when: boom }), (_req, res) => res.send('a'));
      h.app.get('/b', billable({ meter: 'api_calls', metadata: boom }), (_req, res) => res.send('b'));
      h.app.get('/c', billable({ meter: 'api_calls', customer: () => 42 as never }), (_req, res) =>
        res.send('c'),
      );
      await request(h.app).get('/a').set('x-customer', 'acme').expect(200, 'a');
      await request(h.app).get('/b').set('x-customer', 'acme').expect(200, 'b');
      await request(h.app).get('/c').set('x-customer', 'acme').expect(200, 'c');
      await h.settled(3);
      expect(fx.events()).toHaveLength(0);
      expect(h.errors.map((e) => `${e.route}: ${e.reason}`)).toEqual([
        'GET /a: when threw: bad',
        'GET /b: metadata threw: bad',
        'GET /c: customer returned 42, expected a string',
      ]);
    });
  });

  describe('response end', () => {
    it('bills a streamed response once it has finished', async () => {
      const h = setup();
      h.app.get('/stream', billable('api_calls'), (_req, res) => {
        let n = 0;
        const timer = setInterval(() => {
          res.write(`chunk ${n}\n`);
          if (++n === 5) {
            clearInterval(timer);
            res.end();
          }
        }, 2);
      });
      const res = await request(h.app).get('/stream').set('x-customer', 'acme').expect(200);
      expect(res.text.split('\n')).toHaveLength(6);
      await h.settled(1);
      expect(fx.events()).toHaveLength(1);
    });

    it('does not bill a stream the client aborts mid-way', async () => {
      const h = setup();
      let serverSawClose = false;
      h.app.get('/stream', billable('api_calls'), (_req, res) => {
        const timer = setInterval(() => res.write('x'.repeat(1024)), 2);
        res.on('close', () => {
          clearInterval(timer);
          serverSawClose = true;
        });
      });
      const { server, url } = await listen(h.app);
      try {
        await new Promise<void>((resolve, reject) => {
          const controller = new AbortController();
          fetch(`${url}/stream`, { headers: { 'x-customer': 'acme' }, signal: controller.signal })
            .then(async (response) => {
              const reader = response.body!.getReader();
              await reader.read();
              controller.abort();
              resolve();
            })
            .catch(reject);
        });
        await h.settled(1);
        expect(serverSawClose).toBe(true);
        expect(fx.events()).toHaveLength(0);
        expect(h.tracker.stats().tracked).toBe(0);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('bills res.sendFile once the file is sent', async () => {
      const h = setup();
      const file = fileURLToPath(new URL('./fixtures/hello.txt', import.meta.url));
      h.app.get('/file', billable('api_calls'), (_req, res) => res.sendFile(file));
      await request(h.app).get('/file').set('x-customer', 'acme').expect(200, 'hello from a file\n');
      await h.settled(1);
      expect(fx.events()).toHaveLength(1);
    });

    it("does not bill an error the app's error middleware turns into a 500", async () => {
      const h = setup();
      h.app.get('/v1/search', billable('api_calls'), (_req, _res, next) => next(new Error('db down')));
      h.app.use((_err: Error, _req: unknown, res: import('express').Response, _next: unknown) => {
        res.status(500).json({ error: 'internal' });
      });
      await request(h.app).get('/v1/search').set('x-customer', 'acme').expect(500, { error: 'internal' });
      await h.settled(1);
      expect(fx.events()).toHaveLength(0);
    });

    // Express 5 routes a rejected promise to the error handler; Express 4 cannot, so there the async
    // handler passes its error to next() itself, as Express 4 apps must.
    it('does not bill an async handler that fails (rejects on Express 5, next(err) on Express 4)', async () => {
      const h = setup();
      const fail = async () => {
        await Promise.resolve();
        throw new Error('rejected');
      };
      const handler =
        _name === 'express 5'
          ? fail
          : (_req: unknown, _res: unknown, next: (error: unknown) => void) => {
              fail().catch(next);
            };
      h.app.get('/v1/search', billable('api_calls'), handler);
      h.app.get('/v1/ok', billable('api_calls'), async (_req, res) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        res.send('ok');
      });
      await request(h.app).get('/v1/search').set('x-customer', 'acme').expect(500);
      await request(h.app).get('/v1/ok').set('x-customer', 'acme').expect(200, 'ok');
      await h.settled(2);
      expect(fx.events()).toHaveLength(1);
    });
  });

  describe("onMissingCustomer: 'reject'", () => {
    it('answers 403 before the handler on an annotated route without a customer', async () => {
      const h = setup({ onMissingCustomer: 'reject', routes: { 'GET /table': 'api_calls' } });
      let ran = 0;
      h.app.get('/v1/search', billable('api_calls'), (_req, res) => {
        ran++;
        res.send('ok');
      });
      h.app.get('/table', (_req, res) => res.send('table'));
      await request(h.app).get('/v1/search').expect(403, { error: 'customer required' });
      await request(h.app).get('/v1/search').set('x-customer', 'acme').expect(200, 'ok');
      // Table-only routes are matched after the handler, so they are skipped, not rejected.
      await request(h.app).get('/table').expect(200, 'table');
      await h.settled(3);
      expect(ran).toBe(1);
      expect(fx.events().map((e) => e.customer)).toEqual(['acme']);
      expect(h.skipped).toEqual([{ reason: 'missing-customer', meter: 'api_calls', route: 'GET /table' }]);
    });
  });

  describe('delivery', () => {
    it('keeps answering during a Fluxrate outage and delivers once it is back', async () => {
      const h = setup();
      h.app.get('/v1/search', billable('api_calls'), (_req, res) => res.json({ ok: true }));
      await fx.suspend();
      try {
        for (let i = 0; i < 3; i++) {
          await request(h.app).get('/v1/search').set('x-customer', 'acme').expect(200, { ok: true });
        }
        await until(() => h.tracker.stats().retried >= 3, 'retries during the outage');
      } finally {
        await fx.resume();
      }
      await h.settled(3);
      expect(fx.events()).toHaveLength(3);
      expect(h.tracker.stats()).toMatchObject({ delivered: 3, failed: 0, dropped: 0 });
    });

    it('delivers everything on tracker.shutdown() after server.close()', async () => {
      const h = setup();
      h.app.get('/v1/search', billable('api_calls'), (_req, res) => res.send('ok'));
      const { server, url } = await listen(h.app);
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${url}/v1/search`, { headers: { 'x-customer': 'acme' } });
        expect(await res.text()).toBe('ok');
      }
      await new Promise((resolve) => server.close(resolve));
      const report = await h.tracker.shutdown({ timeoutMs: 5_000 });
      expect(report).toMatchObject({ delivered: 5, dropped: 0, pending: [] });
      expect(fx.events()).toHaveLength(5);
    });
  });
});
