import { createTracker, type RequestBilling, type RequestOutcome, type Tracker } from '@fluxrate/core';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Request as Request4 } from 'express4';
import { describe, expectTypeOf, it } from 'vitest';
import { billable, type FluxrateMiddleware, fluxrateMiddleware } from '../src/index.js';

// An app registers its meter names once; every standalone billable() is then checked against them.
declare module '@fluxrate/core' {
  interface Register {
    meters: 'api_calls' | 'tokens';
  }
}

describe('req.fluxrate', () => {
  it('is typed on Express 5 and Express 4 requests through declaration merging', () => {
    expectTypeOf<Request['fluxrate']>().toEqualTypeOf<RequestBilling>();
    expectTypeOf<Request4['fluxrate']>().toEqualTypeOf<RequestBilling>();
    expectTypeOf<Request['fluxrate']['requestId']>().toEqualTypeOf<string>();
    expectTypeOf<RequestBilling['addUsage']>().parameters.toEqualTypeOf<[meter: string, quantity: number]>();
  });
});

describe('fluxrateMiddleware()', () => {
  const tracker = createTracker({ apiKey: 'k', meters: { api_calls: 't1', search_units: 't2' } });

  it('is a RequestHandler carrying the tracker typed with its meter names', () => {
    const middleware = fluxrateMiddleware({ tracker, customer: (req) => req.get('x-org') });
    expectTypeOf(middleware).toExtend<RequestHandler>();
    expectTypeOf(middleware).toEqualTypeOf<FluxrateMiddleware<'api_calls' | 'search_units'>>();
    expectTypeOf(middleware.tracker).toEqualTypeOf<Tracker<'api_calls' | 'search_units'>>();
    express().use(middleware);
  });

  it('infers meter names from tracker options too', () => {
    const middleware = fluxrateMiddleware({ apiKey: 'k', meters: { chats: 't' } });
    middleware.billable({ meter: 'chats' });
    // @ts-expect-error misspelt meter name
    middleware.billable({ meter: 'chat' });
  });

  it('checks meter names in middleware.billable() against the tracker', () => {
    const middleware = fluxrateMiddleware({ tracker });
    middleware.billable({ meter: 'search_units' });
    middleware.billable([{ meter: 'api_calls' }, { meter: 'search_units', quantity: 3 }]);
    middleware.billable('api_calls');
    middleware.billable(false);
    // A raw meter token (UUID) is always accepted.
    middleware.billable({ meter: '550e8400-e29b-41d4-a716-446655440000' });
    // @ts-expect-error misspelt meter name
    middleware.billable({ meter: 'api_cals' });
    // @ts-expect-error misspelt meter name in the routes table
    fluxrateMiddleware({ tracker, routes: { 'GET /x': 'serch_units' } });
  });

  it('passes (req, res, outcome) to user functions', () => {
    fluxrateMiddleware({
      tracker,
      customer: (req, res, outcome) => {
        expectTypeOf(req).toEqualTypeOf<Request>();
        expectTypeOf(res).toEqualTypeOf<Response>();
        expectTypeOf(outcome).toEqualTypeOf<RequestOutcome>();
        return undefined;
      },
    });
  });

  it('rejects options of the wrong type', () => {
    // @ts-expect-error customer must be a function
    fluxrateMiddleware({ tracker, customer: 'acme' });
    // @ts-expect-error onMissingCustomer is 'skip' or 'reject'
    fluxrateMiddleware({ tracker, onMissingCustomer: 'deny' });
  });
});

describe('standalone billable()', () => {
  it('checks meter names against the Register augmentation', () => {
    billable({ meter: 'api_calls' });
    billable({ meter: 'tokens', quantity: (_req, res) => res.locals.tokens });
    // @ts-expect-error misspelt registered meter name
    billable({ meter: 'api_cals' });
    // @ts-expect-error misspelt registered meter name in an array
    billable([{ meter: 'api_calls' }, { meter: 'tokenz' }]);
  });

  it('accepts an explicit meter-name list that overrides the registered one', () => {
    billable<'search_units'>({ meter: 'search_units' });
    // @ts-expect-error not in the explicit list
    billable<'search_units'>({ meter: 'api_calls_x' });
  });

  it('returns a RequestHandler usable on routes, routers and prefixes', () => {
    const app = express();
    const router = express.Router();
    expectTypeOf(billable('api_calls')).toEqualTypeOf<RequestHandler>();
    app.get('/v1/search', billable('api_calls'), (req, res) => {
      req.fluxrate.addUsage('tokens', 3);
      expectTypeOf(req.fluxrate.hold()).toEqualTypeOf<() => void>();
      res.json({ id: req.fluxrate.requestId });
    });
    router.use(billable({ meter: 'tokens' }));
    app.use('/v1', billable('api_calls'), router);
  });

  it('takes holdTimeoutMs and shutdownTimeoutMs, and a routes table with wildcards', () => {
    const tracker = createTracker({ meters: { api_calls: 't1' } });
    fluxrateMiddleware({
      tracker,
      holdTimeoutMs: 5_000,
      shutdownTimeoutMs: 2_000,
      routes: { '*': 'api_calls', 'GET /v1/*': false },
    });
    // @ts-expect-error a misspelt meter in the routes table
    fluxrateMiddleware({ tracker, routes: { '*': 'api_cals' } });
  });
});
