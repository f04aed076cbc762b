// Billing rules, written once as data and run through every adapter (Express 5 and 4, Fastify,
// Nest on platform-express and platform-fastify) over real HTTP against a local Fluxrate.
import { FluxrateRouteError } from '@fluxrate/core';
import { captureWarnings } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { send } from './support/client.js';
import type { NeutralOptions, NeutralSpec, RouteDef } from './support/model.js';
import { EACH, UUID, useFluxrate } from './support/suite.js';

const ok = (path: string, billable?: RouteDef['billable'], method: RouteDef['method'] = 'GET'): RouteDef => ({
  method,
  path,
  billable,
  do: { kind: 'json' },
});

describe.each(EACH)('%s', (_name, driver) => {
  const h = useFluxrate();
  const start = (def: Parameters<typeof driver.start>[1]) => h.start(driver, def);

  it('bills a successful request once with its meter token, customer, quantity 1 and key req_{requestId}_{meter}', async () => {
    const app = await start({ routes: [ok('/v1/search', { meter: 'api_calls' })] });
    const res = await send(app.url, '/v1/search');
    expect(res.status).toBe(200);
    await app.settled(1);
    const { id } = res.json();
    expect(id).toMatch(new RegExp(`^${UUID}$`));
    expect(h.fx.events()).toEqual([
      expect.objectContaining({
        meterToken: h.fx.meters.api_calls!.token,
        customer: 'acme',
        quantity: 1,
        idempotencyKey: `req_${id}_api_calls`,
      }),
    ]);
  });

  it('does not bill a route with no spec and no routes-table entry', async () => {
    const app = await start({ routes: [ok('/free'), ok('/paid', 'api_calls')] });
    await send(app.url, '/free');
    await send(app.url, '/paid');
    await app.settled(2);
    expect(h.billed()).toEqual(['acme api_calls 1']);
  });

  it('status matrix: bills 200, 201, 204, 301, 302 and 304; does not bill 400, 404, 429, 500, 503', async () => {
    const billedStatuses = [200, 201, 204, 301, 302, 304];
    const statuses = [...billedStatuses, 400, 404, 429, 500, 503];
    const routes: RouteDef[] = statuses.map((status) => ({
      method: 'GET',
      path: `/s${status}`,
      billable: { meter: 'api_calls', customer: (v) => `c${v.outcome.status}` },
      do:
        status === 204 || status === 304
          ? { kind: 'empty', status }
          : status === 301 || status === 302
            ? { kind: 'redirect', status }
            : { kind: 'json', status },
    }));
    const app = await start({ routes });
    for (const status of statuses) expect((await send(app.url, `/s${status}`)).status).toBe(status);
    await app.settled(statuses.length);
    expect(
      h.fx
        .events()
        .map((e) => e.customer)
        .sort(),
    ).toEqual(billedStatuses.map((s) => `c${s}`).sort());
  });

  it('bills a HEAD request to a billable GET route once', async () => {
    const app = await start({ routes: [ok('/v1/search', 'api_calls')] });
    expect((await send(app.url, '/v1/search', { method: 'HEAD' })).status).toBe(200);
    await app.settled(1);
    expect(h.billed()).toEqual(['acme api_calls 1']);
  });

  it('does not bill a 400 from request validation', async () => {
    const app = await start({
      routes: [{ method: 'GET', path: '/v1/items', billable: 'api_calls', do: { kind: 'validated' } }],
    });
    expect((await send(app.url, '/v1/items')).status).toBe(400);
    expect((await send(app.url, '/v1/items?n=3')).status).toBe(200);
    await app.settled(2);
    expect(h.billed()).toEqual(['acme api_calls 1']);
  });

  it('does not bill a 403 from a guard', async () => {
    const app = await start({
      routes: [{ method: 'GET', path: '/v1/guarded', billable: 'api_calls', do: { kind: 'guarded' } }],
    });
    expect((await send(app.url, '/v1/guarded', { headers: { 'x-deny': '1' } })).status).toBe(403);
    expect((await send(app.url, '/v1/guarded')).status).toBe(200);
    await app.settled(2);
    expect(h.billed()).toEqual(['acme api_calls 1']);
  });

  it('does not bill a handler that throws before responding (500), synchronously or after an await', async () => {
    const app = await start({
      routes: [
        { method: 'GET', path: '/sync', billable: 'api_calls', do: { kind: 'throw' } },
        { method: 'GET', path: '/async', billable: 'api_calls', do: { kind: 'throw', async: true } },
        ok('/ok', 'api_calls'),
      ],
    });
    expect((await send(app.url, '/sync')).status).toBe(500);
    expect((await send(app.url, '/async')).status).toBe(500);
    expect((await send(app.url, '/ok')).status).toBe(200);
    await app.settled(3);
    expect(h.billed()).toEqual(['acme api_calls 1']);
  });

  it('bills what the handler reports: setQuantity, addUsage, and a meter the route does not list', async () => {
    const app = await start({
      routes: [
        {
          method: 'POST',
          path: '/v1/stream',
          billable: 'tokens',
          do: {
            kind: 'json',
            usage: [
              ['add', 'tokens', 5],
              ['add', 'tokens', 7],
              ['add', 'api_calls', 3],
            ],
          },
        },
        {
          method: 'POST',
          path: '/v1/set',
          billable: { meter: 'tokens', quantity: 100 },
          do: { kind: 'json', usage: [['set', 'tokens', 9]] },
        },
      ],
    });
    await send(app.url, '/v1/stream', { method: 'POST', customer: 'b' });
    await send(app.url, '/v1/set', { method: 'POST', customer: 'c' });
    await app.settled(2);
    expect(h.billed()).toEqual(['b api_calls 3', 'b tokens 12', 'c tokens 9']);
  });

  it('bills several meters on one route, one key per meter, with quantities from spec functions', async () => {
    const app = await start({
      routes: [
        ok('/v1/chat', [
          { meter: 'api_calls' },
          { meter: 'tokens', quantity: (v) => Number(v.header('x-tokens')) },
        ]),
      ],
    });
    const res = await send(app.url, '/v1/chat', { headers: { 'x-tokens': '250' } });
    await app.settled(1);
    const { id } = res.json();
    const keys = Object.fromEntries(h.fx.events().map((e) => [e.meter, [e.idempotencyKey, e.quantity]]));
    expect(keys).toEqual({ api_calls: [`req_${id}_api_calls`, 1], tokens: [`req_${id}_tokens`, 250] });
  });

  it('does not bill a request the handler skips, and reports it as opted-out', async () => {
    const app = await start({
      routes: [
        { method: 'GET', path: '/v1/search', billable: 'api_calls', do: { kind: 'json', skip: true } },
      ],
    });
    await send(app.url, '/v1/search');
    await app.settled(1);
    expect(h.fx.events()).toHaveLength(0);
    expect(app.skipped).toEqual([{ reason: 'opted-out', route: 'GET /v1/search' }]);
  });

  it('an opted-out route bills nothing, not even usage the handler reports, and reports it as opted-out', async () => {
    const app = await start({
      options: { routes: { 'GET /table-free': false } },
      routes: [
        {
          method: 'GET',
          path: '/free',
          billable: false,
          do: { kind: 'json', usage: [['add', 'tokens', 5]] },
        },
        { method: 'GET', path: '/table-free', do: { kind: 'json', usage: [['add', 'tokens', 5]] } },
      ],
    });
    await send(app.url, '/free');
    await send(app.url, '/table-free');
    await app.settled(2);
    expect(h.fx.events()).toHaveLength(0);
    expect(app.skipped.map((s) => `${s.reason} ${s.route}`).sort()).toEqual([
      'opted-out GET /free',
      'opted-out GET /table-free',
    ]);
  });

  it('skips, and reports, a billable request without a customer', async () => {
    const app = await start({ routes: [ok('/v1/search', 'api_calls')] });
    expect((await send(app.url, '/v1/search', { customer: null })).status).toBe(200);
    await app.settled(1);
    expect(h.fx.events()).toHaveLength(0);
    expect(app.skipped).toEqual([
      { reason: 'missing-customer', meter: 'api_calls', route: 'GET /v1/search' },
    ]);
  });

  it("onMissingCustomer: 'reject' answers 403 before the handler, and bills the request with a customer", async () => {
    const app = await start({
      options: { onMissingCustomer: 'reject' },
      routes: [ok('/v1/search', 'api_calls'), ok('/free')],
    });
    const refused = await send(app.url, '/v1/search', { customer: null });
    // One refusal, defined once in core, the same status and body from every adapter.
    expect({ status: refused.status, body: refused.json() }).toEqual({
      status: 403,
      body: { error: 'customer required' },
    });
    expect((await send(app.url, '/free', { customer: null })).status).toBe(200);
    expect((await send(app.url, '/v1/search')).status).toBe(200);
    await app.settled(3);
    expect(h.billed()).toEqual(['acme api_calls 1']);
  });

  it('lets a global `when` bill a 4xx and a route `when` veto a 200', async () => {
    const app = await start({
      options: { when: (v) => v.outcome.finished && v.outcome.status < 500 },
      routes: [
        { method: 'GET', path: '/missing', billable: 'api_calls', do: { kind: 'json', status: 404 } },
        ok('/never', { meter: 'tokens', when: () => false }),
      ],
    });
    await send(app.url, '/missing');
    await send(app.url, '/never');
    await app.settled(2);
    expect(h.billed()).toEqual(['acme api_calls 1']);
  });

  describe('routes table', () => {
    it('matches exact patterns with params and methods; false opts a route out', async () => {
      const app = await start({
        options: {
          routes: {
            'GET /v1/items/:id': 'api_calls',
            'POST /v1/chat': { meter: 'tokens', quantity: 3 },
            '/v1/any': 'api_calls',
            'GET /health': false,
          },
        },
        routes: [
          ok('/v1/items/:id'),
          ok('/v1/chat', undefined, 'POST'),
          ok('/v1/chat'),
          ok('/v1/any', undefined, 'POST'),
          ok('/health'),
        ],
      });
      await send(app.url, '/v1/items/1', { customer: 'a' });
      await send(app.url, '/v1/items/2', { customer: 'a' });
      await send(app.url, '/v1/chat', { method: 'POST', customer: 'b' });
      await send(app.url, '/v1/chat', { customer: 'c' });
      await send(app.url, '/v1/any', { method: 'POST', customer: 'd' });
      await send(app.url, '/health', { customer: 'e' });
      await app.settled(6);
      expect(h.billed()).toEqual(['a api_calls 1', 'a api_calls 1', 'b tokens 3', 'd api_calls 1']);
    });

    it("'*' bills every route; a route's own opt-out (billable(false), config false, @SkipBilling) wins", async () => {
      const app = await start({
        options: { routes: { '*': 'api_calls' } },
        routes: [ok('/a'), ok('/b/:id', undefined, 'POST'), ok('/free', false)],
      });
      await send(app.url, '/a');
      await send(app.url, '/b/7', { method: 'POST' });
      await send(app.url, '/free');
      await app.settled(3);
      expect(h.billed()).toEqual(['acme api_calls 1', 'acme api_calls 1']);
    });

    it("'GET /v1/*' bills a prefix, and the most specific entry wins", async () => {
      const app = await start({
        options: {
          routes: {
            '*': { meter: 'api_calls', quantity: 1 },
            'GET /v1/*': { meter: 'api_calls', quantity: 2 },
            'GET /v1/admin/*': false,
            'GET /v1/chat': { meter: 'tokens', quantity: 9 },
          },
        },
        routes: [
          ok('/v1/search'),
          ok('/v1/chat'),
          ok('/v1/admin/users'),
          ok('/v2/search'),
          ok('/v1/search', undefined, 'POST'),
        ],
      });
      await send(app.url, '/v1/search', { customer: 'prefix' });
      await send(app.url, '/v1/chat', { customer: 'exact' });
      await send(app.url, '/v1/admin/users', { customer: 'opted-out' });
      await send(app.url, '/v2/search', { customer: 'star' });
      await send(app.url, '/v1/search', { method: 'POST', customer: 'other-method' });
      await app.settled(5);
      expect(h.billed()).toEqual([
        'exact tokens 9',
        'other-method api_calls 1',
        'prefix api_calls 2',
        'star api_calls 1',
      ]);
    });

    it('a route annotation wins over the table entry for the same route', async () => {
      const app = await start({
        options: { routes: { 'GET /v1/search': 'api_calls' } },
        routes: [ok('/v1/search', { meter: 'tokens', quantity: 3 })],
      });
      await send(app.url, '/v1/search');
      await app.settled(1);
      expect(h.billed()).toEqual(['acme tokens 3']);
    });
  });

  describe('idempotency keys', () => {
    it('ignores forged X-Request-Id and Idempotency-Key headers: every request gets its own req_{uuid} key', async () => {
      const app = await start({ routes: [ok('/v1/search', 'api_calls', 'POST')] });
      const headers = { 'x-request-id': 'forged', 'idempotency-key': 'forged' };
      for (let i = 0; i < 5; i++) await send(app.url, '/v1/search', { method: 'POST', headers });
      await app.settled(5);
      const keys = h.fx.events().map((e) => e.idempotencyKey);
      expect(new Set(keys).size).toBe(5);
      for (const key of keys) expect(key).toMatch(new RegExp(`^req_${UUID}_api_calls$`));
      expect(h.fx.stats().deduplicated).toBe(0);
    });

    it("'client-key' mode honours Idempotency-Key, scoped to the customer", async () => {
      const app = await start({
        options: { idempotency: 'client-key' },
        routes: [ok('/v1/orders', 'api_calls', 'POST')],
      });
      const order = { 'idempotency-key': 'order-1' };
      await send(app.url, '/v1/orders', { method: 'POST', customer: 'acme', headers: order });
      await send(app.url, '/v1/orders', { method: 'POST', customer: 'acme', headers: order });
      await send(app.url, '/v1/orders', { method: 'POST', customer: 'globex', headers: order });
      await send(app.url, '/v1/orders', { method: 'POST', customer: 'acme' });
      await app.settled(4);
      expect(h.billed()).toEqual(['acme api_calls 1', 'acme api_calls 1', 'globex api_calls 1']);
      expect(h.fx.stats().deduplicated).toBe(1);
    });

    it("uses the app's requestId, scoped to the customer, so a retried request bills once", async () => {
      const app = await start({
        options: { requestIdHeader: 'x-trace' },
        routes: [ok('/v1/search', 'api_calls')],
      });
      const trace = { 'x-trace': 't-1' };
      const first = await send(app.url, '/v1/search', { headers: trace });
      await send(app.url, '/v1/search', { headers: trace });
      await send(app.url, '/v1/search', { customer: 'globex', headers: trace });
      expect(first.json().id).toBe('t-1');
      await app.settled(3);
      expect(h.billed()).toEqual(['acme api_calls 1', 'globex api_calls 1']);
    });
  });

  describe('user functions that fail', () => {
    const boom = (message: string) => () => {
      throw new Error(message);
    };
    /** [case, module options, route spec fields, the error reason]: the response is never changed. */
    const cases: [string, NeutralOptions, Partial<NeutralSpec>, RegExp][] = [
      ['a throwing customer function', { customer: boom('no session') }, {}, /^customer threw: no session/],
      [
        'a customer function returning a number',
        { customer: () => 42 },
        {},
        /^customer returned 42, expected a string/,
      ],
      [
        'a customer function returning a Promise',
        { customer: async () => 'acme' },
        {},
        /^customer returned a Promise/,
      ],
      ['a throwing global when', { when: boom('bad when') }, {}, /^when threw: bad when/],
      ['a throwing route when', {}, { when: boom('bad') }, /^when threw: bad/],
      ['a throwing quantity', {}, { quantity: boom('no body') }, /^quantity threw: no body/],
      [
        'a NaN quantity',
        {},
        { quantity: () => Number.NaN },
        /^quantity must be a finite number > 0, got NaN/,
      ],
      ['a negative quantity', {}, { quantity: () => -3 }, /^quantity must be a finite number > 0, got -3/],
      [
        'a string quantity',
        {},
        { quantity: () => 'ten' },
        /^quantity must be a finite number > 0, got 'ten'/,
      ],
      ['an Infinity quantity', {}, { quantity: () => Number.POSITIVE_INFINITY }, /^quantity must be /],
      ['a Promise quantity', {}, { quantity: async () => 1 }, /^quantity returned a Promise/],
      ['a throwing metadata', {}, { metadata: boom('bad') }, /^metadata threw: bad/],
      ['garbage metadata', {}, { metadata: () => 'eu' }, /metadata/],
      ['a non-string route customer', {}, { customer: () => 42 }, /^customer returned 42, expected a string/],
    ];

    it.each(cases)(
      '%s: the response is unchanged, nothing is billed, an error names the route',
      async (_c, options, spec, reason) => {
        const app = await start({ options, routes: [ok('/v1/items/:id', { meter: 'api_calls', ...spec })] });
        const res = await send(app.url, '/v1/items/7');
        expect(res.status).toBe(200);
        expect(res.json().id).toMatch(new RegExp(UUID));
        await app.settled(1);
        expect(h.fx.events()).toHaveLength(0);
        expect(app.errors).toEqual([
          expect.objectContaining({ route: 'GET /v1/items/:id', meter: 'api_calls' }),
        ]);
        expect(app.errors[0]!.reason).toMatch(reason);
      },
    );

    it('a throwing requestId function falls back to a generated UUID, reported', async () => {
      const app = await start({
        options: { requestId: boom('no trace') },
        routes: [ok('/v1/search', 'api_calls')],
      });
      const res = await send(app.url, '/v1/search');
      await app.settled(1);
      expect(res.json().id).toMatch(new RegExp(`^${UUID}$`));
      expect(h.fx.events()).toEqual([
        expect.objectContaining({ idempotencyKey: `req_${res.json().id}_api_calls` }),
      ]);
      expect(app.errors).toEqual([
        expect.objectContaining({
          reason: expect.stringMatching(/^requestId threw: no trace; using a generated UUID/),
        }),
      ]);
    });

    it("in 'reject' mode a throwing customer function answers 403, not 500", async () => {
      const app = await start({
        options: { onMissingCustomer: 'reject', customer: boom('no session') },
        routes: [ok('/v1/search', 'api_calls')],
      });
      const refused = await send(app.url, '/v1/search');
      expect({ status: refused.status, body: refused.json() }).toEqual({
        status: 403,
        body: { error: 'customer required' },
      });
      await app.settled(1);
      expect(h.fx.events()).toHaveLength(0);
    });
  });

  it('a spec naming an unknown meter is refused at startup, or reported loudly once on its first request, in the same words, listing the known meters', async () => {
    const def = { routes: [ok('/v1/search', { meter: 'api_cals' })] };
    const wording =
      /Invalid billable spec for route .*GET \/v1\/search.*: unknown meter 'api_cals' \(known: api_calls, tokens, active_users\)/;
    if (driver.unknownMeter === 'startup') {
      const error = await start(def).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FluxrateRouteError);
      expect((error as Error).message).toMatch(wording);
      return;
    }
    const warnings = captureWarnings();
    const app = await start(def);
    expect((await send(app.url, '/v1/search')).status).toBe(200);
    expect((await send(app.url, '/v1/search')).status).toBe(200);
    await app.settled(2);
    expect(h.fx.events()).toHaveLength(0);
    expect(app.errors).toHaveLength(1);
    expect(app.errors[0]!.reason).toMatch(wording);
    // One line, not a FLUXRATE_NOT_BILLED with the same text before it (issue #25).
    expect(warnings.all).toEqual([
      { code: 'FLUXRATE_INVALID_ROUTE', message: expect.stringMatching(wording) },
    ]);
  });
});
