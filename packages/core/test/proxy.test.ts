import { createTracker, type TrackerOptions } from '@fluxrate/core';
import type { LocalServer } from '@fluxrate/local';
import {
  captureLogger,
  localhostCert,
  onCleanup,
  proxyEnv,
  record,
  startForwardProxy,
  startLocal,
} from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

const cert = localhostCert();

function trackerOn(fx: LocalServer, options: Partial<TrackerOptions> = {}) {
  const t = createTracker({
    apiKey: fx.apiKey,
    baseUrl: fx.url,
    meters: { api_calls: fx.meters.api_calls!.token },
    retry: { minTimeout: 5, maxTimeout: 20 },
    ...(fx.url.startsWith('https:') ? { tls: { ca: cert.cert } } : {}),
    ...options,
  });
  onCleanup(() => t.shutdown({ timeoutMs: 500 }).then(() => undefined));
  return t;
}

/** Every event stored once: as many stored as tracked, one per idempotency key. */
function expectEachStoredOnce(fx: LocalServer, n: number): void {
  const keys = fx.events({ meter: 'api_calls' }).map((e) => e.idempotencyKey);
  expect(keys).toHaveLength(n);
  expect(new Set(keys).size).toBe(n);
}

describe('delivery through a forward proxy from the environment', () => {
  it('tunnels https: through HTTPS_PROXY (CONNECT, credentials from the URL, HTTP/2 in the tunnel) and stores every event exactly once', async () => {
    // Resets after storing force retries through the tunnel: dedupe by key keeps the count exact.
    const fx = await startLocal({ tls: cert, http2: true, faults: { resetAfter: 0.2 }, seed: 7 });
    const proxy = await startForwardProxy();
    proxyEnv({ HTTPS_PROXY: proxy.url.replace('http://', 'http://egress:s3cret@') });
    const t = trackerOn(fx, { allowH2: true });
    const events = record(t);
    for (let i = 0; i < 40; i++) t.track({ meter: 'api_calls', customerId: `acme-${i % 3}` });
    await t.flush({ timeoutMs: 10_000 });
    expect(t.stats()).toMatchObject({ delivered: 40, failed: 0, dropped: 0 });
    expect(events.retry.length).toBeGreaterThan(0);
    expectEachStoredOnce(fx, 40);
    const { host } = new URL(fx.url);
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(new Set(proxy.tunnels)).toEqual(new Set([host]));
    expect(proxy.auth[0]).toBe(`Basic ${Buffer.from('egress:s3cret').toString('base64')}`);
  });

  it('sends http: through HTTP_PROXY as absolute-form requests, each event stored once', async () => {
    const fx = await startLocal();
    const proxy = await startForwardProxy();
    proxyEnv({ http_proxy: proxy.url });
    const t = trackerOn(fx);
    for (let i = 0; i < 10; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    expect(t.stats()).toMatchObject({ delivered: 10, failed: 0 });
    expectEachStoredOnce(fx, 10);
    expect(proxy.tunnels).toHaveLength(0);
    expect(proxy.forwarded).toHaveLength(10);
    expect(proxy.forwarded[0]).toBe(`${fx.url}/api/v1/sdk/track`);
  });

  it('goes direct to a host NO_PROXY lists (host:port and domain forms), and with proxy: false', async () => {
    const fx = await startLocal({ tls: cert });
    const proxy = await startForwardProxy();
    const { host, port } = new URL(fx.url);
    for (const noProxy of [`example.com, ${host}`, `localhost,127.0.0.1:${port}`, '*']) {
      proxyEnv({ HTTPS_PROXY: proxy.url, NO_PROXY: noProxy });
      const t = trackerOn(fx);
      t.track({ meter: 'api_calls', customerId: 'acme' });
      await t.flush({ timeoutMs: 5_000 });
      expect(t.stats().delivered).toBe(1);
    }
    proxyEnv({ HTTPS_PROXY: proxy.url, NO_PROXY: `127.0.0.1:${Number(port) + 1}` });
    const direct = trackerOn(fx, { proxy: false });
    direct.track({ meter: 'api_calls', customerId: 'acme' });
    await direct.flush({ timeoutMs: 5_000 });
    expect(direct.stats().delivered).toBe(1);
    expect(proxy.tunnels).toHaveLength(0);
    // The same NO_PROXY with another port does not match: proxied.
    const proxied = trackerOn(fx);
    proxied.track({ meter: 'api_calls', customerId: 'acme' });
    await proxied.flush({ timeoutMs: 5_000 });
    expect(proxied.stats().delivered).toBe(1);
    expect(proxy.tunnels).toEqual([host]);
    expectEachStoredOnce(fx, 5);
  });
});

describe('a proxy in the way is a clear, counted persistent fault', () => {
  const cases = [
    ['answers CONNECT with 407', '407', 'https'],
    ['closes the CONNECT without an answer', 'drop', 'https'],
    ['answers CONNECT with 200, then drops the tunnel', 'drop-after-connect', 'https'],
    ['answers an absolute-form request with 407', '407', 'http'],
  ] as const;
  it.each(cases)(
    'a proxy that %s: logged once with advice, counted on every attempt, nothing stored',
    async (_, mode, scheme) => {
      const fx = await startLocal(scheme === 'https' ? { tls: cert } : {});
      const proxy = await startForwardProxy(mode);
      proxyEnv(
        scheme === 'https'
          ? { HTTPS_PROXY: `http://user:pw@${proxy.url.slice(7)}` }
          : { HTTP_PROXY: proxy.url },
      );
      const logger = captureLogger();
      const t = trackerOn(fx, { logger, retry: { minTimeout: 5, maxTimeout: 10, retries: 3 } });
      const events = record(t);
      t.track({ meter: 'api_calls', customerId: 'acme' });
      await t.flush({ timeoutMs: 10_000 });
      expect(t.stats().persistentFaults.proxy).toBe(4);
      expect(events.failed.map((f) => f.reason)).toEqual(['retries-exhausted']);
      const errors = logger.calls.filter((c) => c.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.msg).toMatch(/proxy refused, dropped or did not tunnel.*HTTPS_PROXY/);
      expect(errors[0]!.msg).toContain(`through proxy ${proxy.url}`);
      // The proxy's credentials never appear.
      expect(logger.text()).not.toContain('pw@');
      expect(fx.stats().stored).toBe(0);
      // One tunnel per attempt at most: no reconnect loop to a proxy that hangs up.
      expect(proxy.tunnels.length).toBeLessThanOrEqual(4);
    },
  );
});
