import { createTracker, FluxrateConfigError } from '@fluxrate/core';
import { fluxrateMiddleware } from '@fluxrate/express';
import { describe, expect, it } from 'vitest';

const options = (baseUrl: string, extra: object = {}) => ({
  apiKey: 'org_live_test_key',
  baseUrl,
  meters: { api_calls: '550e8400-e29b-41d4-a716-446655440000' },
  ...extra,
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

  it.each(['http://127.0.0.1:8000', 'http://localhost:8000', 'http://[::1]:8000', 'https://api.fluxrate.co'])(
    'accepts %s',
    async (baseUrl) => {
      await createTracker(options(baseUrl)).shutdown({ timeoutMs: 10 });
    },
  );

  it('accepts a non-loopback http:// host with allowInsecureHttp: true', async () => {
    await createTracker(options('http://fluxrate.internal:8000', { allowInsecureHttp: true })).shutdown({
      timeoutMs: 10,
    });
  });

  it('refuses other schemes and credentials in the URL', () => {
    expect(() => createTracker(options('ftp://api.fluxrate.co'))).toThrow(FluxrateConfigError);
    expect(() => createTracker(options('https://user:pass@api.fluxrate.co'))).toThrow(/credentials/);
  });
});
