import { onCleanup, TOKEN, thrown, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { compileBillable } from '../src/adapter.js';
import { FluxrateConfigError, FluxrateRouteError } from '../src/index.js';
import { createRouteMeter } from '../src/request/route-meter.js';
import { normalizePattern } from '../src/request/routes-table.js';
import { type Args, routeHarness } from './support/route-harness.js';

function meterWith(options: Record<string, unknown>) {
  return createRouteMeter<Args>({ tracker: tracker(), ...options }, 'test()');
}

const metersOf = (specs: { meter: string }[] | false | undefined) =>
  specs === false ? false : specs?.map((s) => s.meter);

describe('routes table', () => {
  const routes = {
    'GET /v1/search': 'api_calls',
    '/v1/chat': { meter: 'tokens', quantity: 2 },
    'POST /v1/items/:id/': ['api_calls', { meter: 'tokens' }],
    'GET /health': false,
    '*  /v1/any': 'api_calls',
  };

  it("matches 'METHOD /pattern' on that method only", async () => {
    const { meter } = await routeHarness({ routes });
    expect(metersOf(meter.specsFor(undefined, 'GET', '/v1/search'))).toEqual(['api_calls']);
    expect(meter.specsFor(undefined, 'POST', '/v1/search')).toEqual([]);
    expect(metersOf(meter.specsFor(undefined, 'get', '/v1/search'))).toEqual(['api_calls']);
  });

  it("matches '/pattern' (and '* /pattern') on any method", async () => {
    const { meter } = await routeHarness({ routes });
    for (const method of ['GET', 'POST', 'DELETE']) {
      expect(metersOf(meter.specsFor(undefined, method, '/v1/chat'))).toEqual(['tokens']);
      expect(metersOf(meter.specsFor(undefined, method, '/v1/any'))).toEqual(['api_calls']);
    }
  });

  it('matches with or without a trailing slash on either side', async () => {
    const { meter } = await routeHarness({ routes });
    expect(metersOf(meter.specsFor(undefined, 'GET', '/v1/search/'))).toEqual(['api_calls']);
    expect(metersOf(meter.specsFor(undefined, 'POST', '/v1/items/:id'))).toEqual(['api_calls', 'tokens']);
    expect(normalizePattern('/')).toBe('/');
  });

  it('matches a params pattern literally, not a concrete path', async () => {
    const { meter } = await routeHarness({ routes });
    expect(meter.specsFor(undefined, 'POST', '/v1/items/42')).toEqual([]);
  });

  it('opts a route out with false', async () => {
    const { meter } = await routeHarness({ routes });
    expect(meter.specsFor(undefined, 'GET', '/health')).toEqual([]);
  });

  it('lets a route annotation win over the table, and an annotation of false opt out', async () => {
    const { meter } = await routeHarness({ routes });
    const annotated = meter.compile({ meter: 'tokens' }, 'GET /v1/search');
    expect(metersOf(meter.specsFor(annotated, 'GET', '/v1/search'))).toEqual(['tokens']);
    expect(meter.specsFor(false, 'GET', '/v1/search')).toEqual([]);
  });

  it('bills nothing for an unmatched route', async () => {
    const { meter } = await routeHarness({ routes });
    expect(meter.specsFor(undefined, 'GET', '/nope')).toEqual([]);
    expect(meter.specsFor(undefined, 'GET', undefined)).toEqual([]);
  });

  it('bills a table route end to end', async () => {
    const h = await routeHarness({ routes });
    const specs = h.meter.specsFor(undefined, 'POST', '/v1/chat');
    h.run(specs, { method: 'POST', route: '/v1/chat' });
    expect((await h.sent()).map((b) => b.quantity)).toEqual([2]);
  });

  describe('wildcards', () => {
    const table = {
      '*': { meter: 'api_calls', quantity: 1 },
      'GET /v1/*': { meter: 'api_calls', quantity: 2 },
      '/v1/admin/*': false,
      'GET /v1/chat': 'tokens',
    };
    const quantity = (specs: { quantity: unknown }[]) => specs.map((s) => s.quantity);

    it("'*' matches every route, 'GET /v1/*' a prefix, and the most specific entry wins", async () => {
      const { meter } = await routeHarness({ routes: table });
      expect(quantity(meter.specsFor(undefined, 'GET', '/v2/x'))).toEqual([1]);
      expect(quantity(meter.specsFor(undefined, 'GET', '/v1/items/:id'))).toEqual([2]);
      expect(quantity(meter.specsFor(undefined, 'GET', '/v1'))).toEqual([2]);
      expect(quantity(meter.specsFor(undefined, 'POST', '/v1/items/:id'))).toEqual([1]);
      expect(metersOf(meter.specsFor(undefined, 'GET', '/v1/chat'))).toEqual(['tokens']);
      expect(meter.specsFor(undefined, 'GET', '/v1/admin/users')).toEqual([]);
      // A prefix matches whole segments only.
      expect(quantity(meter.specsFor(undefined, 'GET', '/v1x'))).toEqual([1]);
    });

    it('lets HEAD use GET entries, and a route-less request match wildcards on its path only', async () => {
      const { meter } = await routeHarness({ routes: table });
      expect(quantity(meter.specsFor(undefined, 'HEAD', '/v1/items/:id'))).toEqual([2]);
      expect(quantity(meter.specsFor(undefined, 'GET', undefined, '/v1/assets/a.css'))).toEqual([2]);
      // Exact entries name route patterns, so a path never matches them.
      expect(quantity(meter.specsFor(undefined, 'GET', undefined, '/v1/chat'))).toEqual([2]);
      expect(meter.specsFor(undefined, 'GET', undefined)).toEqual([]);
    });

    it('refuses two wildcard keys for the same prefix', () => {
      const error = thrown(() =>
        meterWith({ routes: { 'GET /v1/*': 'api_calls', 'get  /v1/*': 'api_calls' } }),
      );
      expect(error).toBeInstanceOf(FluxrateConfigError);
    });
  });

  it.each([
    ['an array', ['GET /x']],
    ['a string', 'GET /x'],
    ['null', null],
  ])('refuses a routes table that is %s, naming routes', (_label, table) => {
    const error = thrown(() => meterWith({ routes: table }));
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error.option).toBe('routes');
  });

  it.each([
    ['FETCH /x', 'api_calls'],
    ['x', 'api_calls'],
    ['GET /x', 'api_cals'],
    ['GET /y', { meter: 'api_calls', quantity: -1 }],
    ['GET /z', { meter: 'api_calls', bogus: 1 }],
    ['GET /w', []],
  ])("refuses the routes entry %j, naming routes['%s']", (key, spec) => {
    const error = thrown(() => meterWith({ routes: { [key]: spec } }));
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error.option).toBe(`routes['${key}']`);
  });

  // Regression (fixed in src): src/routes-table.ts:28: keys that normalise to the same route ('GET /x', 'get /x/') overwrite each
  // other silently; the first spec is lost without a word.
  it('refuses two table keys for the same route instead of silently keeping the last', () => {
    const error = thrown(() =>
      meterWith({ routes: { 'GET /x': 'api_calls', 'get /x/': { meter: 'api_calls', quantity: 2 } } }),
    );
    expect(error).toBeInstanceOf(FluxrateConfigError);
  });
});

describe('billable spec compilation', () => {
  const route = 'GET /v1/search';
  it.each([
    ['an unknown meter', { meter: 'api_cals' }],
    ['a missing meter', { quantity: 1 }],
    ['an unknown field', { meter: 'api_calls', quantitty: 1 }],
    ['a zero quantity', { meter: 'api_calls', quantity: 0 }],
    ['a NaN quantity', { meter: 'api_calls', quantity: Number.NaN }],
    ['a string quantity', { meter: 'api_calls', quantity: '1' }],
    ['a numeric customer', { meter: 'api_calls', customer: 42 }],
    ['an empty customer', { meter: 'api_calls', customer: '' }],
    ['a string metadata', { meter: 'api_calls', metadata: 'eu' }],
    ['a boolean when', { meter: 'api_calls', when: true }],
    ['a numeric idempotencyKey', { meter: 'api_calls', idempotencyKey: 5 }],
    ['an empty array', []],
    ['a number', 5],
    ['null', null],
  ])('throws FluxrateRouteError naming the route for %s', async (_label, spec) => {
    const { meter } = await routeHarness();
    const error = thrown(() => meter.compile(spec, route));
    expect(error).toBeInstanceOf(FluxrateRouteError);
    expect(error.route).toBe(route);
    expect(error.code).toBe('FLUXRATE_INVALID_ROUTE');
    expect(error.message).toContain(route);
  });

  // Regression (fixed in src): src/route-spec.ts:26: checkResolver() does not get the `[i] ` prefix, so errors about quantity,
  // customer, metadata or idempotencyKey in an array spec do not say which element is wrong.
  it('names the index of the bad spec in an array', async () => {
    const { meter } = await routeHarness();
    const error = thrown(() => meter.compile(['api_calls', { meter: 'tokens', quantity: -1 }], route));
    expect(error.message).toContain('[1]');
  });

  it('accepts a meter name string, a raw token and arrays', async () => {
    const { meter } = await routeHarness();
    expect(meter.compile('api_calls', route)).toHaveLength(1);
    expect(meter.compile({ meter: TOKEN }, route)).toHaveLength(1);
    expect(meter.compile(['api_calls', 'api_calls'], route).map((s) => s.ordinal)).toEqual([0, 1]);
  });

  it('compileBillable checks shape without meter names (standalone annotations)', () => {
    expect(compileBillable({ meter: 'anything' }, route)).toHaveLength(1);
    expect(thrown(() => compileBillable({ meter: 'x', quantity: -1 }, route))).toBeInstanceOf(
      FluxrateRouteError,
    );
  });
});

describe('route meter options', () => {
  it.each([
    ['customer', 'org'],
    ['when', true],
    ['requestId', 'x-request-id'],
  ])('refuses %s that is not a function, naming it', (name, value) => {
    const error = thrown(() => meterWith({ [name]: value }));
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error.option).toBe(name);
  });

  it('refuses an unknown onMissingCustomer or idempotency, naming it', () => {
    expect(thrown(() => meterWith({ onMissingCustomer: 'deny' })).option).toBe('onMissingCustomer');
    expect(thrown(() => meterWith({ idempotency: 'header' })).option).toBe('idempotency');
  });

  it('refuses a tracker that is not a tracker, naming tracker', () => {
    const error = thrown(() => createRouteMeter({ tracker: {} }, 'test()'));
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error.option).toBe('tracker');
  });

  it('refuses tracker options next to a tracker, naming the option', () => {
    expect(thrown(() => meterWith({ apiKey: 'org_live_x' })).option).toBe('apiKey');
  });

  it('refuses a misspelt option, naming it', () => {
    expect(thrown(() => meterWith({ custmer: () => 'acme' })).option).toBe('custmer');
    const own = thrown(() => createRouteMeter({ apiKey: 'org_live_x', custmer: () => 'acme' }, 'test()'));
    expect(own).toBeInstanceOf(FluxrateConfigError);
    expect(own.option).toBe('custmer');
  });

  it('refuses options that are not an object, naming the adapter', () => {
    const error = thrown(() => createRouteMeter(null, 'fluxrateMiddleware()'));
    expect(error.option).toBe('options');
    expect(error.message).toContain('fluxrateMiddleware()');
  });

  it('creates and owns a tracker from tracker options', async () => {
    const meter = createRouteMeter<Args>(
      {
        apiKey: 'org_live_x',
        baseUrl: 'http://127.0.0.1:9',
        meters: { api_calls: TOKEN },
        customer: () => 'acme',
      },
      'test()',
    );
    onCleanup(() => meter.tracker.shutdown({ timeoutMs: 10 }));
    expect(meter.ownsTracker).toBe(true);
    expect(meter.tracker.hasMeter('api_calls')).toBe(true);
  });

  it('does not own a tracker it was given', async () => {
    const { meter } = await routeHarness();
    expect(meter.ownsTracker).toBe(false);
  });
});
