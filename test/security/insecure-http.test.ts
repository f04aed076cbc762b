import { createTracker, FluxrateConfigError } from '@fluxrate/core';
import { fluxrateMiddleware } from '@fluxrate/express';
import type { LocalServer } from '@fluxrate/local';
import { onCleanup, startLocal } from '@fluxrate/testkit';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';

const options = (baseUrl: string, extra: object = {}) => ({
  apiKey: 'org_live_test_key',
  baseUrl,
  meters: { api_calls: '550e8400-e29b-41d4-a716-446655440000' },
  ...extra,
});
/** The local server's key and api_calls meter (its URL is set per test). */
const apiCallsOf = (fx: LocalServer) => ({
  apiKey: fx.apiKey,
  meters: { api_calls: fx.meters.api_calls!.token },
});

describe('plain http:// is refused for non-loopback hosts unless explicitly allowed', () => {
  it.each([
    'http://api.fluxrate.co',
    'http://10.0.0.5:8000',
    'http://localhost.evil.example',
    'http://127.0.0.1.evil.example',
  ])('refuses %s with a FluxrateConfigError naming baseUrl', (baseUrl) => {
    let error: unknown;
    try {
      createTracker(options(baseUrl));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error).toMatchObject({ option: 'baseUrl' });
    expect(String((error as Error).message)).toMatch(/http:\/\/.*refused|allowInsecureHttp/);
  });

  it('refuses it through an adapter too, at construction', () => {
    expect(() => fluxrateMiddleware({ ...options('http://api.fluxrate.co'), customer: () => 'c' })).toThrow(
      FluxrateConfigError,
    );
  });

  // Accepted means used as given: the event goes over plain HTTP to that origin and is stored.
  it.each([
    ['http://127.0.0.1', '127.0.0.1'],
    ['http://localhost', 'localhost'],
    ['http://[::1]', '::1'],
  ])('accepts %s and delivers to it over plain http', async (base, host) => {
    const fx = await startLocal({ host });
    const baseUrl = `${base}:${new URL(fx.url).port}`;
    const tracker = createTracker({ ...options(baseUrl), ...apiCallsOf(fx) });
    tracker.track({ meter: 'api_calls', customerId: 'acme' });
    expect(await tracker.shutdown({ timeoutMs: 5_000 })).toMatchObject({ delivered: 1, failed: 0 });
    expect(fx.events()).toHaveLength(1);
  });

  it.each([
    ['https://api.fluxrate.co', {}],
    ['http://fluxrate.internal:8000', { allowInsecureHttp: true }],
  ])('accepts %s (%o) and sends every attempt to that origin', async (baseUrl, extra) => {
    const fx = await startLocal();
    const origins: string[] = [];
    // No DNS and no network: each attempt is recorded, then sent to the local server on loopback.
    const dispatcher = new Agent().compose((dispatch) => (opts, handler) => {
      origins.push(String(opts.origin));
      return dispatch({ ...opts, origin: fx.url }, handler);
    });
    onCleanup(() => dispatcher.close());
    const tracker = createTracker({ ...options(baseUrl, extra), ...apiCallsOf(fx), dispatcher });
    tracker.track({ meter: 'api_calls', customerId: 'acme' });
    expect(await tracker.shutdown({ timeoutMs: 5_000 })).toMatchObject({ delivered: 1, failed: 0 });
    expect(origins).toEqual([new URL(baseUrl).origin]);
    expect(fx.events()).toHaveLength(1);
  });

  it('refuses other schemes and credentials in the URL', () => {
    expect(() => createTracker(options('ftp://api.fluxrate.co'))).toThrow(FluxrateConfigError);
    expect(() => createTracker(options('https://user:pass@api.fluxrate.co'))).toThrow(/credentials/);
  });
});
