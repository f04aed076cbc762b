import { FluxrateConfigError, FluxrateRouteError } from '@fluxrate/core';
import { startFluxrate, waitFor } from '@fluxrate/testkit';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalServer } from '../../local/src/index.js';
import { billable, fluxrateMiddleware } from '../src/index.js';
import { newTracker } from './support.js';

let fx: LocalServer;
beforeAll(async () => {
  fx = await startFluxrate();
});
afterAll(() => fx.close());

function optionError(make: () => unknown): FluxrateConfigError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(FluxrateConfigError);
    return error as FluxrateConfigError;
  }
  throw new Error('expected a FluxrateConfigError');
}

describe('fluxrateMiddleware() options', () => {
  it('asks for a tracker when given neither a tracker nor an API key', () => {
    vi.stubEnv('FLUXRATE_API_KEY', undefined);
    try {
      const error = optionError(() => fluxrateMiddleware({ customer: () => 'acme' }));
      expect(error.option).toBe('tracker');
      expect(error.message).toMatch(/pass \{ tracker \}/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it.each([
    ['tracker', { tracker: {} }],
    ['customer', { customer: 'acme' }],
    ['when', { when: true }],
    ['onMissingCustomer', { onMissingCustomer: 'deny' }],
    ['idempotency', { idempotency: 'header' }],
    ["routes['GET /x']", { routes: { 'GET /x': { meter: 'nope' } } }],
    ['custmer', { custmer: () => 'acme' }],
  ])('names the invalid option `%s`', (option, bad) => {
    const tracker = newTracker(fx);
    const error = optionError(() => fluxrateMiddleware({ tracker, ...bad } as never));
    expect(error.option).toBe(option);
    void tracker.shutdown();
  });

  it('creates, exposes and shuts down its own tracker when given tracker options', async () => {
    const middleware = fluxrateMiddleware({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: fx.meters.api_calls!.token },
      retry: { minTimeout: 5, maxTimeout: 20 },
      customer: () => 'owned',
    });
    expect(middleware.ownsTracker).toBe(true);
    const app = express();
    app.use(middleware);
    app.get('/v1/search', middleware.billable('api_calls'), (_req, res) => res.send('ok'));
    await request(app).get('/v1/search').expect(200);
    await waitFor(() => middleware.tracker.stats().tracked === 1, 5_000, 'the event to be tracked');
    await middleware.close();
    expect(middleware.tracker.closed).toBe(true);
    expect(fx.events({ customer: 'owned' })).toHaveLength(1);
  });

  it('flushes but does not shut down a tracker it was given', async () => {
    const tracker = newTracker(fx);
    const middleware = fluxrateMiddleware({ tracker });
    expect(middleware.ownsTracker).toBe(false);
    expect(middleware.tracker).toBe(tracker);
    await middleware.close();
    expect(tracker.closed).toBe(false);
    await tracker.shutdown();
  });
});

describe('billable() specs', () => {
  it('throws at creation naming the problem and where billable() was called', () => {
    expect(() => billable({ metr: 'api_calls' } as never)).toThrow(FluxrateRouteError);
    expect(() => billable({ metr: 'api_calls' } as never)).toThrow(
      /billable\(\) at .*options\.test\.ts:\d+:\d+: unknown spec field `metr`/,
    );
    expect(() => billable({ meter: 'api_calls', quantity: -1 })).toThrow(
      /`quantity` must be a finite number > 0/,
    );
    expect(() => billable([])).toThrow(/empty array/);
  });

  it('checks meter names against the tracker in middleware.billable()', () => {
    const tracker = newTracker(fx);
    const middleware = fluxrateMiddleware({ tracker });
    expect(() => middleware.billable({ meter: 'api_cals' as never })).toThrow(/unknown meter 'api_cals'/);
    expect(() => middleware.billable({ meter: 'api_calls' })).not.toThrow();
    void tracker.shutdown();
  });
});
