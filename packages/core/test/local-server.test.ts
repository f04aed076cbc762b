import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { expectWarnings, FAST_RETRY, onCleanup, record, scripted, TOKEN, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

async function local(options: Parameters<typeof startLocalServer>[0] = {}): Promise<LocalServer> {
  const fx = await startLocalServer({ seed: 1, ...options });
  onCleanup(() => fx.close());
  return fx;
}

const meters = (fx: LocalServer) => ({
  api_calls: fx.meters.api_calls!.token,
  active_users: { token: fx.meters.active_users!.token, aggregation: 'UNIQUE_COUNT' as const },
});

describe('against @fluxrate/local', () => {
  it('stores each tracked event once with the fields as sent', async () => {
    const fx = await local();
    const t = tracker({ apiKey: fx.apiKey, baseUrl: fx.url, meters: meters(fx), retry: FAST_RETRY });
    t.track({
      meter: 'api_calls',
      customerId: 'acme',
      quantity: 3,
      idempotencyKey: 'k1',
      metadata: { a: 1 },
    });
    t.track({ meter: 'active_users', customerId: 'acme', metadata: { user_id: 'u1' } });
    await t.flush();
    expect(t.stats()).toMatchObject({ delivered: 2, failed: 0 });
    const [stored] = fx.events({ meter: 'api_calls' });
    expect(stored).toMatchObject({ customer: 'acme', quantity: 3, idempotencyKey: 'k1', metadata: { a: 1 } });
    expect(fx.events({ meter: 'active_users' })).toHaveLength(1);
  });

  it('counts an event once when the connection resets after the server stored it', async () => {
    const fx = await local({ faults: { resetAfter: 1 } });
    const t = tracker({ apiKey: fx.apiKey, baseUrl: fx.url, meters: meters(fx) });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme', quantity: 5, idempotencyKey: 'once' });
    t.on('retry', () => fx.setFaults({}));
    await t.flush();
    expect(events.retry.length).toBeGreaterThanOrEqual(1);
    expect(events.delivered).toHaveLength(1);
    expect(fx.events()).toHaveLength(1);
    expect(fx.usage().find((u) => u.meter === 'api_calls')!.total).toBe(5);
    expect(fx.stats().deduplicated).toBeGreaterThanOrEqual(1);
  });

  it('delivers everything through injected 5xx, 429 and resets, each counted once', async () => {
    const fx = await local({
      faults: { '500': 0.15, '503': 0.1, '429': 0.1, resetBefore: 0.1, resetAfter: 0.1, retryAfter: 0 },
    });
    const t = tracker({ apiKey: fx.apiKey, baseUrl: fx.url, meters: meters(fx) });
    for (let i = 0; i < 40; i++) t.track({ meter: 'api_calls', customerId: `c${i % 4}`, quantity: 1 });
    await t.flush();
    expect(t.stats()).toMatchObject({ tracked: 40, delivered: 40, failed: 0, dropped: 0 });
    expect(fx.events()).toHaveLength(40);
    expect(fx.stats().faults['500']).toBeGreaterThan(0);
  });

  it('fails with 404 and the detail for a meter token the server does not know', async () => {
    const fx = await local();
    const t = tracker({ apiKey: fx.apiKey, baseUrl: fx.url, meters: { api_calls: TOKEN } });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(events.failed[0]).toMatchObject({ reason: 'rejected', status: 404, detail: 'Meter not found' });
  });

  it('fails with 401 for a wrong API key, without retrying', async () => {
    expectWarnings('FLUXRATE_AUTH');
    const fx = await local();
    const t = tracker({ apiKey: 'org_live_wrong_key_123', baseUrl: fx.url, meters: meters(fx), logger: {} });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(events.failed[0]).toMatchObject({ reason: 'rejected', status: 401 });
    expect(fx.stats().requests).toBe(1);
  });
});

describe('REST transport', () => {
  it('POSTs /api/v1/usage with the access_token cookie and meter_id/customer_id/quantity/timestamp', async () => {
    const server = await scripted();
    const t = tracker({
      baseUrl: server.url,
      apiKey: undefined,
      transport: 'rest',
      accessToken: 'jwt.header.payload',
      meters: { api_calls: { token: TOKEN, id: 'meter-internal-id' } },
    });
    t.track({
      meter: 'api_calls',
      customerId: 'cust-internal-id',
      quantity: 4,
      timestamp: '2025-01-15T10:30:00Z',
    });
    await t.flush();
    const [req] = server.requests;
    expect(req!.url).toBe('/api/v1/usage');
    expect(req!.headers.cookie).toBe('access_token=jwt.header.payload');
    expect(req!.headers['x-api-key']).toBeUndefined();
    expect(req!.json).toMatchObject({
      meter_id: 'meter-internal-id',
      customer_id: 'cust-internal-id',
      quantity: 4,
      timestamp: '2025-01-15T10:30:00.000Z',
    });
    expect(req!.json).not.toHaveProperty('meter_token');
  });

  it('is stored by @fluxrate/local under the internal meter and customer ids', async () => {
    const fx = await local();
    const customer = fx.createCustomer('acme');
    const t = tracker({
      baseUrl: fx.url,
      apiKey: undefined,
      transport: 'rest',
      accessToken: fx.accessToken,
      meters: { api_calls: { token: fx.meters.api_calls!.token, id: fx.meters.api_calls!.id } },
    });
    t.track({ meter: 'api_calls', customerId: customer.id, quantity: 2 });
    await t.flush();
    expect(t.stats().delivered).toBe(1);
    expect(fx.events()[0]).toMatchObject({ source: 'usage', customer: 'acme', quantity: 2 });
  });
});
