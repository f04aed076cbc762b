import { FluxrateConfigError, FluxrateRouteError } from '@fluxrate/core';
import { captureWarnings } from '@fluxrate/testkit';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import fluxrateDefault, { fluxrate } from '../src/index.js';
import { collect, customerHeader, newApp, sharedFluxrate, trackerFor, trackerOptions } from './support.js';

describe('plugin options', () => {
  it.each([
    ['customer', { customer: 'acme' }],
    ['when', { when: true }],
    ['onMissingCustomer', { onMissingCustomer: 'deny' }],
    ['idempotency', { idempotency: 'header' }],
    ['routes', { routes: 'GET /v1/search' }],
    ["routes['GET /v1/search']", { routes: { 'GET /v1/search': { meter: 'api_calls', quantity: -1 } } }],
    ['shutdownTimeoutMs', { shutdownTimeoutMs: -5 }],
  ])('fails registration naming `%s`', async (option, bad) => {
    const fx = await sharedFluxrate();
    const app = newApp();
    const error = await app.register(fluxrate, { ...trackerOptions(fx), ...(bad as object) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect((error as FluxrateConfigError).option).toBe(option);
    expect((error as Error).message).toContain(`\`${option}\``);
  });

  it('fails registration naming `tracker` when it is not a tracker', async () => {
    const app = newApp();
    await expect(app.register(fluxrate, { tracker: {} as never })).rejects.toThrow(/`tracker`/);
  });

  it('ignores the options Fastify register consumes itself (prefix, logLevel)', async () => {
    const fx = await sharedFluxrate();
    const app = newApp();
    await app.register(fluxrate, { tracker: trackerFor(fx), prefix: '/x', logLevel: 'warn' } as never);
    await app.ready();
    expect(app.fluxrate.tracker).toBeDefined();
  });

  it('is exported as default and as `fluxrate`', () => {
    expect(fluxrateDefault).toBe(fluxrate);
    expect(typeof fluxrate).toBe('function');
  });
});

describe('route registration', () => {
  it('throws at route registration, naming the route, for a bad config.billable', async () => {
    const fx = await sharedFluxrate();
    const app = newApp();
    await app.register(fluxrate, { tracker: trackerFor(fx), customer: customerHeader });
    expect(() =>
      app.get('/v1/search', { config: { billable: { meter: 'api_cals' as never } } }, async () => 'ok'),
    ).toThrow(FluxrateRouteError);
    expect(() =>
      app.post('/v1/chat', { config: { billable: { meter: 'tokens', quantity: 0 } } }, async () => 'ok'),
    ).toThrow(/POST \/v1\/chat.*`quantity`/);
    expect(() => app.get('/v1/x', { config: { billable: [] } }, async () => 'ok')).toThrow(/GET \/v1\/x/);
  });

  it('names the route with its prefix when registered in a prefixed context', async () => {
    const fx = await sharedFluxrate();
    const app = newApp();
    const tracker = trackerFor(fx);
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.register(
      async (child) => {
        child.get('/search', { config: { billable: { meter: 'nope' as never } } }, async () => 'ok');
      },
      { prefix: '/v2' },
    );
    await expect(app.ready()).rejects.toThrow(/GET \/v2\/search.*unknown meter 'nope'/);
  });

  it('still bills a route declared before the plugin was registered (compiled on its first request)', async () => {
    const fx = await sharedFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    app.get('/v1/early', { config: { billable: { meter: 'api_calls', quantity: 4 } } }, async () => 'ok');
    app.get('/v1/early-table', async () => 'ok');
    await app.register(fluxrate, {
      tracker,
      customer: customerHeader,
      routes: { 'GET /v1/early-table': 'tokens' },
    });
    for (let i = 0; i < 2; i++) {
      await app.inject({ url: '/v1/early', headers: { 'x-customer': 'acme' } });
      await app.inject({ url: '/v1/early-table', headers: { 'x-customer': 'acme' } });
    }
    await tracker.flush();
    expect(
      fx
        .usage()
        .map((u) => [u.meter, u.total])
        .sort(),
    ).toEqual([
      ['api_calls', 8],
      ['tokens', 2],
    ]);
  });

  it('still bills a route in a child plugin loaded before the plugin was registered', async () => {
    const fx = await sharedFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(async (child) => {
      child.get('/v1/child', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    });
    await app.register(fluxrate, { tracker, customer: customerHeader });
    await app.inject({ url: '/v1/child', headers: { 'x-customer': 'acme' } });
    await tracker.flush();
    expect(fx.events().map((e) => e.meter)).toEqual(['api_calls']);
  });

  it('reports (once, naming the route) a bad spec on a route declared before the plugin, replies unchanged', async () => {
    const warnings = captureWarnings();
    const fx = await sharedFluxrate();
    const tracker = trackerFor(fx);
    const errors = collect(tracker, 'error');
    const app = newApp();
    app.get('/v1/early', { config: { billable: { meter: 'api_cals' as never } } }, async () => 'ok');
    await app.register(fluxrate, { tracker, customer: customerHeader });
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ url: '/v1/early', headers: { 'x-customer': 'acme' } });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('ok');
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ route: 'GET /v1/early' });
    expect(errors[0]!.reason).toMatch(/unknown meter 'api_cals'.*declared before the plugin/);
    expect(warnings.of('FLUXRATE_INVALID_ROUTE')).toEqual([errors[0]!.reason]);
    expect(tracker.stats().tracked).toBe(0);
  });
});

describe('encapsulation', () => {
  it("meters only the prefixed child context it is registered in, not a sibling context's routes", async () => {
    const fx = await sharedFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    app.register(
      async (child) => {
        await child.register(fluxrate, {
          tracker,
          customer: customerHeader,
          routes: { 'GET /v1/listed': 'api_calls' },
        });
        child.get('/search', { config: { billable: { meter: 'api_calls' } } }, async (request) => {
          expect(child.fluxrate.tracker).toBe(tracker);
          return request.fluxrate.requestId;
        });
        child.get('/listed', async () => 'ok');
      },
      { prefix: '/v1' },
    );
    let siblingBilling: unknown = 'unset';
    app.register(
      async (sibling) => {
        sibling.get('/search', { config: { billable: { meter: 'api_calls' } } }, async (request) => {
          siblingBilling = request.fluxrate;
          return 'ok';
        });
        sibling.get('/listed', async () => 'ok');
      },
      { prefix: '/v2' },
    );
    await app.ready();
    expect(app.hasDecorator('fluxrate')).toBe(false);

    const h = { 'x-customer': 'acme' };
    const res = await app.inject({ url: '/v1/search', headers: h });
    await app.inject({ url: '/v1/listed', headers: h });
    expect((await app.inject({ url: '/v2/search', headers: h })).statusCode).toBe(200);
    await app.inject({ url: '/v2/listed', headers: h });
    await tracker.flush();
    expect(fx.events()).toHaveLength(2);
    expect(fx.events()[0]!.idempotencyKey).toBe(`req_${res.body}_api_calls`);
    // Outside the plugin's context there is no billing state.
    expect(siblingBilling).toBeUndefined();
  });

  it('decorates the instance it is registered on with { tracker }, visible to that context', async () => {
    const fx = await sharedFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker });
    expect(app.fluxrate.tracker).toBe(tracker);
  });
});

describe('onMissingCustomer: reject', () => {
  it('answers 403 before the handler when a billable request has no customer, and bills nothing', async () => {
    const fx = await sharedFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader, onMissingCustomer: 'reject' });
    let handled = 0;
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => {
      handled++;
      return 'ok';
    });
    app.get('/health', async () => 'ok');

    const rejected = await app.inject({ url: '/v1/search' });
    expect(rejected.statusCode).toBe(403);
    expect(rejected.json()).toEqual({ error: 'customer required' });
    expect(handled).toBe(0);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } })).statusCode).toBe(200);
    await tracker.flush();
    expect(fx.events().map((e) => e.customer)).toEqual(['acme']);
  });
});

describe('registration on a bare instance', () => {
  it('creates and owns a tracker from tracker options', async () => {
    const fx = await sharedFluxrate();
    const app = Fastify();
    await app.register(fluxrate, { ...trackerOptions(fx), customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    await app.close();
    expect(app.fluxrate.tracker.closed).toBe(true);
    expect(fx.events()).toHaveLength(1);
  });
});
