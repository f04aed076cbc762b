import { startLocal } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { track, UUID, usage } from './helpers.js';

describe('POST /api/v1/usage (cookie access_token)', () => {
  it('stores an event for internal meter and customer ids', async () => {
    const s = await startLocal();
    const customer = s.createCustomer('acme');
    expect(customer.id).toMatch(UUID);
    const res = await usage(s, {
      meter_id: s.meters.tokens!.id,
      customer_id: customer.id,
      quantity: 100,
      timestamp: '2025-01-15T10:30:00Z',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      customer_id: customer.id,
      meter_id: s.meters.tokens!.id,
      quantity: '100',
      timestamp: '2025-01-15T10:30:00.000Z',
    });
    expect(s.events({ customer: 'acme' })[0]).toMatchObject({ source: 'usage', meter: 'tokens' });
  });

  it('reaches customers created by the track route', async () => {
    const s = await startLocal();
    const tracked = await track(s, {
      meter_token: s.meters.api_calls!.token,
      customer_external_id: 'x',
      quantity: 1,
    });
    const res = await usage(s, {
      meter_id: s.meters.api_calls!.id,
      customer_id: tracked.body.customer_id,
      quantity: 2,
    });
    expect(res.status).toBe(201);
    expect(s.usage()).toEqual([
      { meter: 'api_calls', meterToken: s.meters.api_calls!.token, customer: 'x', total: 3, eventCount: 2 },
    ]);
  });

  it('answers 401 without the cookie, or with an unknown token', async () => {
    const s = await startLocal();
    const body = { meter_id: s.meters.tokens!.id, customer_id: s.createCustomer('a').id, quantity: 1 };
    const missing = await usage(s, body, { cookie: '' });
    expect(missing.status).toBe(401);
    expect(missing.body.detail).toMatch(/Not authenticated/);
    const unknown = await usage(s, body, { cookie: 'theme=dark; access_token=forged' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ detail: 'Could not validate credentials' });
  });

  it('does not accept an API key instead of the cookie', async () => {
    const s = await startLocal();
    const body = { meter_id: s.meters.tokens!.id, customer_id: s.createCustomer('a').id, quantity: 1 };
    const res = await usage(s, body, { cookie: '', 'x-api-key': s.apiKey });
    expect(res.status).toBe(401);
  });

  it('answers 404 for an unknown meter or customer', async () => {
    const s = await startLocal();
    const customer = s.createCustomer('a');
    const noMeter = await usage(s, { meter_id: 'nope', customer_id: customer.id, quantity: 1 });
    expect(noMeter.status).toBe(404);
    expect(noMeter.body).toEqual({ detail: 'Meter not found' });
    const noCustomer = await usage(s, { meter_id: s.meters.tokens!.id, customer_id: 'nope', quantity: 1 });
    expect(noCustomer.status).toBe(404);
    expect(noCustomer.body).toEqual({ detail: 'Customer not found' });
  });

  it('validates like the track route', async () => {
    const s = await startLocal();
    const res = await usage(s, { meter_id: 5, quantity: '5', timestamp: 'soon' });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/meter_id must be a string/);
    expect(res.body.detail).toMatch(/customer_id is required/);
    expect(res.body.detail).toMatch(/quantity must be a JSON number/);
    expect(res.body.detail).toMatch(/timestamp/);
  });

  it('deduplicates on idempotency_key and returns the original record', async () => {
    const s = await startLocal();
    const body = {
      meter_id: s.meters.tokens!.id,
      customer_id: s.createCustomer('a').id,
      quantity: 4,
      idempotency_key: 'job_1_tokens',
    };
    const first = await usage(s, body);
    const again = await usage(s, { ...body, quantity: 8 });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(s.stats()).toMatchObject({ stored: 1, deduplicated: 1 });
  });
});
