import { describe, expect, it } from 'vitest';
import { fluxrate } from '../src/index.js';
import { customerHeader, DEFAULT_KEY, newApp, startFluxrate, trackerFor } from './support.js';

describe('billing through config.billable (inject)', () => {
  it('bills a successful request once with the meter token, customer, quantity and req_{uuid}_{meter} key', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    let requestId = '';
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async (request) => {
      requestId = request.fluxrate.requestId;
      return { hits: [] };
    });

    const res = await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ hits: [] });
    await tracker.flush();

    const events = fx.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      meterToken: fx.meters.api_calls!.token,
      customer: 'acme',
      quantity: 1,
      idempotencyKey: `req_${requestId}_api_calls`,
    });
    expect(events[0]!.idempotencyKey).toMatch(DEFAULT_KEY);
  });

  it.each([400, 404, 429, 500, 503])('does not bill a %i reply', async (status) => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async (_request, reply) =>
      reply.code(status).send({ error: 'no' }),
    );
    app.get('/v1/ok', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');

    expect((await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } })).statusCode).toBe(
      status,
    );
    expect((await app.inject({ url: '/v1/ok', headers: { 'x-customer': 'acme' } })).statusCode).toBe(200);
    await tracker.flush();
    // Only the control request to /v1/ok is billed.
    expect(fx.events()).toHaveLength(1);
  });

  it('does not bill a handler that throws (500)', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => {
      throw new Error('boom');
    });
    expect((await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } })).statusCode).toBe(500);
    await tracker.flush();
    expect(tracker.stats().tracked).toBe(0);
  });

  it('bills the quantity the handler reports through setQuantity and addUsage', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.post('/v1/chat', { config: { billable: { meter: 'tokens' } } }, async (request) => {
      request.fluxrate.setQuantity('tokens', 100);
      request.fluxrate.addUsage('tokens', 23);
      return 'ok';
    });
    app.post('/v1/stream', { config: { billable: { meter: 'tokens', quantity: 5 } } }, async (request) => {
      request.fluxrate.addUsage('tokens', 7);
      request.fluxrate.addUsage('tokens', 8);
      return 'ok';
    });
    await app.inject({ method: 'POST', url: '/v1/chat', headers: { 'x-customer': 'acme' } });
    await app.inject({ method: 'POST', url: '/v1/stream', headers: { 'x-customer': 'acme' } });
    await tracker.flush();
    expect(fx.events().map((e) => e.quantity)).toEqual([123, 15]);
  });

  it('bills several meters for one request, each with its own key', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.post(
      '/v1/chat',
      {
        config: {
          billable: [
            { meter: 'api_calls' },
            { meter: 'tokens', quantity: (request) => (request.body as { n: number }).n },
          ],
        },
      },
      async () => 'ok',
    );
    await app.inject({
      method: 'POST',
      url: '/v1/chat',
      headers: { 'x-customer': 'acme' },
      payload: { n: 42 },
    });
    await tracker.flush();
    const events = fx.events();
    expect(events.map((e) => [e.meter, e.quantity])).toEqual([
      ['api_calls', 1],
      ['tokens', 42],
    ]);
    expect(new Set(events.map((e) => e.idempotencyKey)).size).toBe(2);
    for (const e of events) expect(e.idempotencyKey).toMatch(DEFAULT_KEY);
  });

  it('bills a meter the handler adds usage to even when the route does not list it', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async (request) => {
      request.fluxrate.addUsage('tokens', 9);
      return 'ok';
    });
    await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    await tracker.flush();
    expect(fx.events().map((e) => [e.meter, e.quantity])).toEqual([
      ['api_calls', 1],
      ['tokens', 9],
    ]);
  });

  it('does not bill a request the handler skips', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async (request) => {
      request.fluxrate.skip();
      return 'cached';
    });
    const res = await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    expect(res.body).toBe('cached');
    await tracker.flush();
    expect(tracker.stats()).toMatchObject({ tracked: 0, skipped: 1 });
  });

  it('skips (and counts) a billable request without a customer by default', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    const res = await app.inject({ url: '/v1/search' });
    expect(res.statusCode).toBe(200);
    expect(tracker.stats()).toMatchObject({ tracked: 0, skipped: 1 });
  });

  it('does not bill routes without a billable config', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/health', async () => 'ok');
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    await app.inject({ url: '/health', headers: { 'x-customer': 'acme' } });
    await app.inject({ url: '/nope', headers: { 'x-customer': 'acme' } });
    await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    await tracker.flush();
    expect(fx.events()).toHaveLength(1);
  });

  it('bills a HEAD request to a billable GET route (Fastify exposes it with the same config)', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    expect(
      (await app.inject({ method: 'HEAD', url: '/v1/search', headers: { 'x-customer': 'acme' } })).statusCode,
    ).toBe(200);
    await tracker.flush();
    expect(fx.events()).toHaveLength(1);
  });
});

describe('the routes table', () => {
  it('bills routes matched on their pattern, including params, and lets config.billable: false opt out', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, {
      tracker,
      customer: customerHeader,
      routes: {
        'GET /v1/items/:id': 'api_calls',
        'POST /v1/chat': { meter: 'tokens', quantity: 3 },
        '/v1/any': 'api_calls',
        'GET /v1/free': 'api_calls',
      },
    });
    app.get('/v1/items/:id', async () => 'item');
    app.post('/v1/chat', async () => 'chat');
    app.get('/v1/chat', async () => 'not listed for GET');
    app.put('/v1/any', async () => 'any');
    app.get('/v1/free', { config: { billable: false } }, async () => 'free');

    const h = { 'x-customer': 'acme' };
    await app.inject({ url: '/v1/items/1', headers: h });
    await app.inject({ url: '/v1/items/2', headers: h });
    await app.inject({ method: 'POST', url: '/v1/chat', headers: h });
    await app.inject({ url: '/v1/chat', headers: h });
    await app.inject({ method: 'PUT', url: '/v1/any', headers: h });
    await app.inject({ url: '/v1/free', headers: h });
    await tracker.flush();
    expect(fx.events().map((e) => [e.meter, e.quantity])).toEqual([
      ['api_calls', 1],
      ['api_calls', 1],
      ['tokens', 3],
      ['api_calls', 1],
    ]);
  });

  it('lets config.billable win over the table entry for the same route', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader, routes: { 'GET /v1/x': 'api_calls' } });
    app.get('/v1/x', { config: { billable: { meter: 'tokens', quantity: 2 } } }, async () => 'x');
    await app.inject({ url: '/v1/x', headers: { 'x-customer': 'acme' } });
    await tracker.flush();
    expect(fx.events().map((e) => [e.meter, e.quantity])).toEqual([['tokens', 2]]);
  });
});

describe('request ids and keys', () => {
  it('cannot be made to share keys by forged X-Request-Id or Idempotency-Key headers', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    const headers = { 'x-customer': 'acme', 'x-request-id': 'same', 'idempotency-key': 'same' };
    for (let i = 0; i < 3; i++) await app.inject({ url: '/v1/search', headers });
    await tracker.flush();
    const events = fx.events();
    expect(events).toHaveLength(3);
    expect(new Set(events.map((e) => e.idempotencyKey)).size).toBe(3);
    expect(fx.stats().deduplicated).toBe(0);
  });

  it("gives two app instances' first requests (both request.id 'req-1') distinct keys and two events", async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const fastifyIds: string[] = [];
    for (let n = 0; n < 2; n++) {
      const app = newApp();
      await app.register(fluxrate, { tracker, customer: customerHeader });
      app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async (request) => {
        fastifyIds.push(request.id);
        return 'ok';
      });
      await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    }
    await tracker.flush();
    expect(fastifyIds).toEqual(['req-1', 'req-1']);
    const keys = fx.events().map((e) => e.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    expect(fx.usage()).toEqual([expect.objectContaining({ customer: 'acme', total: 2, eventCount: 2 })]);
  });

  it("uses the app's requestId when given, scoped to the customer, so a retried request bills once", async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, {
      tracker,
      customer: customerHeader,
      requestId: (request) => request.headers['x-trace'] as string,
    });
    app.get(
      '/v1/search',
      { config: { billable: { meter: 'api_calls' } } },
      async (request) => request.fluxrate.requestId,
    );
    const a = await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme', 'x-trace': 't-1' } });
    await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme', 'x-trace': 't-1' } });
    await app.inject({ url: '/v1/search', headers: { 'x-customer': 'globex', 'x-trace': 't-1' } });
    expect(a.body).toBe('t-1');
    await tracker.flush();
    // Same trace id for the same customer dedupes; another customer with that id is still billed.
    expect(
      fx
        .usage()
        .map((u) => [u.customer, u.total])
        .sort(),
    ).toEqual([
      ['acme', 1],
      ['globex', 1],
    ]);
  });

  it("honours the client's Idempotency-Key in client-key mode, scoped to the customer", async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader, idempotency: 'client-key' });
    app.post('/v1/orders', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    const send = (customer: string, key?: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: { 'x-customer': customer, ...(key ? { 'idempotency-key': key } : {}) },
      });
    await send('acme', 'order-1');
    await send('acme', 'order-1');
    await send('globex', 'order-1');
    await send('acme');
    await tracker.flush();
    expect(
      fx
        .usage()
        .map((u) => [u.customer, u.total])
        .sort(),
    ).toEqual([
      ['acme', 2],
      ['globex', 1],
    ]);
    expect(fx.stats().deduplicated).toBe(1);
  });
});
