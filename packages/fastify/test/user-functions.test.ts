import { describe, expect, it } from 'vitest';
import { fluxrate } from '../src/index.js';
import { collect, customerHeader, newApp, startFluxrate, trackerFor } from './support.js';

const cases = [
  [
    'a throwing customer function',
    {
      customer: () => {
        throw new Error('no session');
      },
    },
    {},
    /customer threw: no session/,
  ],
  ['a customer function returning a number', { customer: () => 42 }, {}, /customer returned/],
  [
    'a customer function returning a Promise',
    { customer: async () => 'acme' },
    {},
    /customer returned a Promise/,
  ],
  [
    'a throwing when',
    {
      customer: customerHeader,
      when: () => {
        throw new Error('bad when');
      },
    },
    {},
    /when threw/,
  ],
  [
    'a throwing quantity',
    { customer: customerHeader },
    {
      quantity: () => {
        throw new Error('no body');
      },
    },
    /quantity threw/,
  ],
  ['a NaN quantity', { customer: customerHeader }, { quantity: () => Number.NaN }, /quantity is NaN/],
  ['a string quantity', { customer: customerHeader }, { quantity: () => '3' }, /quantity is/],
  ['garbage metadata', { customer: customerHeader }, { metadata: () => 'eu' }, /event|metadata/],
] as const;

describe('user functions that throw or return garbage', () => {
  it.each(cases)(
    '%s: the reply is unchanged, no event, an error event names the route',
    async (_, global, spec, reason) => {
      const fx = await startFluxrate();
      const tracker = trackerFor(fx);
      const errors = collect(tracker, 'error');
      const app = newApp();
      await app.register(fluxrate, { tracker, ...(global as object) });
      app.get(
        '/v1/items/:id',
        { config: { billable: { meter: 'api_calls', ...(spec as object) } } },
        async (request, reply) =>
          reply.header('x-handler', 'yes').send({ id: (request.params as { id: string }).id }),
      );

      const res = await app.inject({ url: '/v1/items/7', headers: { 'x-customer': 'acme' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-handler']).toBe('yes');
      expect(res.json()).toEqual({ id: '7' });
      await tracker.flush();
      expect(fx.events()).toHaveLength(0);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ route: 'GET /v1/items/:id', meter: 'api_calls' });
      expect(errors[0]!.reason).toMatch(reason);
    },
  );

  it('falls back to a generated UUID (and reports it) when the requestId function throws', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const errors = collect(tracker, 'error');
    const app = newApp();
    await app.register(fluxrate, {
      tracker,
      customer: customerHeader,
      requestId: () => {
        throw new Error('no trace');
      },
    });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    const res = await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    expect(res.body).toBe('ok');
    await tracker.flush();
    expect(fx.events()).toHaveLength(1);
    expect(fx.events()[0]!.idempotencyKey).toMatch(/^req_[0-9a-f-]{36}_api_calls$/);
    expect(errors[0]!.reason).toMatch(/requestId threw: no trace/);
  });

  it('answers 403 (not 500) in reject mode when the customer function throws', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, {
      tracker,
      onMissingCustomer: 'reject',
      customer: () => {
        throw new Error('no session');
      },
    });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    const res = await app.inject({ url: '/v1/search' });
    expect(res.statusCode).toBe(403);
    expect(tracker.stats().tracked).toBe(0);
  });
});
