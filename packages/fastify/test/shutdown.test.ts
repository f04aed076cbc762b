import { expectWarnings } from '@fluxrate/testkit';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { fluxrate } from '../src/index.js';
import { collect, customerHeader, newApp, sharedFluxrate, trackerFor, trackerOptions } from './support.js';

describe('shutdown', () => {
  it('app.close() flushes everything a plugin-owned tracker held', async () => {
    const fx = await sharedFluxrate();
    const app = Fastify();
    await app.register(fluxrate, { ...trackerOptions(fx), customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');

    await fx.suspend();
    for (let i = 0; i < 5; i++) await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    expect(app.fluxrate.tracker.stats().delivered).toBe(0);
    setTimeout(() => void fx.resume(), 100);
    await app.close();

    expect(app.fluxrate.tracker.closed).toBe(true);
    expect(fx.events()).toHaveLength(5);
    expect(app.fluxrate.tracker.stats()).toMatchObject({ delivered: 5, dropped: 0 });
  });

  it('gives up at shutdownTimeoutMs and reports what was left as dropped', async () => {
    expectWarnings('FLUXRATE_SHUTDOWN_LEFT');
    const fx = await sharedFluxrate();
    const app = Fastify();
    await app.register(fluxrate, { ...trackerOptions(fx), customer: customerHeader, shutdownTimeoutMs: 100 });
    const dropped = collect(app.fluxrate.tracker, 'dropped');
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    await fx.suspend();
    await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });

    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(dropped.map((d) => d.reason)).toEqual(['shutdown-deadline', 'shutdown-deadline']);
  });

  it('leaves an app-owned tracker running on app.close() (the app shuts it down)', async () => {
    const fx = await sharedFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => 'ok');
    await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    await app.close();

    expect(tracker.closed).toBe(false);
    tracker.track({ meter: 'api_calls', customerId: 'acme' });
    await tracker.shutdown();
    expect(fx.events()).toHaveLength(2);
  });
});
