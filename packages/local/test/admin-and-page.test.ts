import { fetchJson, startLocal } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { event, track } from './helpers.js';

describe('inspection', () => {
  it('lists events filtered by meter (name or token) and customer', async () => {
    const s = await startLocal();
    await track(s, event(s, { customer_external_id: 'acme', quantity: 2 }));
    await track(s, event(s, { customer_external_id: 'globex', quantity: 3 }));
    await track(s, { meter_token: s.meters.tokens!.token, customer_external_id: 'acme', quantity: 500 });

    expect(s.events()).toHaveLength(3);
    expect(s.events({ meter: 'api_calls' })).toHaveLength(2);
    expect(s.events({ meter: s.meters.tokens!.token })).toHaveLength(1);
    expect(s.events({ meter: 'api_calls', customer: 'acme' }).map((e) => e.quantity)).toEqual([2]);
    expect(s.events({ customer: 'nobody' })).toEqual([]);

    const viaHttp = await fetchJson(`${s.url}/__admin/events?meter=api_calls&customer=globex`);
    expect(viaHttp.status).toBe(200);
    expect(viaHttp.body).toHaveLength(1);
    expect(viaHttp.body[0]).toMatchObject({ meter: 'api_calls', customer: 'globex', quantity: 3 });
    expect((await fetchJson(`${s.url}/__admin/events?limit=1`)).body[0].meter).toBe('tokens');
  });

  it('reports totals per meter and customer with each meter aggregation', async () => {
    const s = await startLocal({
      meters: {
        calls: 'tok-calls',
        peak: { token: 'tok-peak', aggregation: 'MAX' },
        seats: { aggregation: 'UNIQUE_COUNT' },
      },
    });
    for (const q of [1, 2, 3])
      await track(s, { meter_token: 'tok-calls', customer_external_id: 'acme', quantity: q });
    for (const q of [5, 9, 4])
      await track(s, { meter_token: 'tok-peak', customer_external_id: 'acme', quantity: q });
    for (const u of ['u1', 'u2', 'u1']) {
      await track(s, {
        meter_token: s.meters.seats!.token,
        customer_external_id: 'acme',
        quantity: 1,
        metadata: { user_id: u },
      });
    }
    const expected = [
      { meter: 'calls', meterToken: 'tok-calls', customer: 'acme', total: 6, eventCount: 3 },
      { meter: 'peak', meterToken: 'tok-peak', customer: 'acme', total: 9, eventCount: 3 },
      { meter: 'seats', meterToken: s.meters.seats!.token, customer: 'acme', total: 2, eventCount: 3 },
    ];
    expect(s.usage()).toEqual(expected);
    expect((await fetchJson(`${s.url}/__admin/usage`)).body).toEqual(expected);
  });

  it('counts requests, stored, deduplicated and rejections by status', async () => {
    const s = await startLocal();
    await track(s, event(s, { idempotency_key: 'a' }));
    await track(s, event(s, { idempotency_key: 'a' }));
    await track(s, event(s), { 'x-api-key': 'bad' });
    await track(s, event(s, { quantity: -1 }));
    await track(s, event(s, { quantity: -2 }));
    await track(s, '{oops');
    const stats = (await fetchJson(`${s.url}/__admin/stats`)).body;
    expect(stats).toMatchObject({
      requests: 6,
      stored: 1,
      deduplicated: 1,
      rejected: { 400: 1, 401: 1, 422: 2 },
      events: 1,
      customers: 1,
    });
    const rejected = (await fetchJson(`${s.url}/__admin/rejected`)).body;
    expect(rejected.map((r: { status: number }) => r.status)).toEqual([401, 422, 422, 400]);
    expect(rejected[1].detail).toMatch(/quantity/);
    expect(JSON.stringify(rejected)).not.toContain(s.apiKey);
  });

  it('resets events, customers and counters, but keeps meters and keys', async () => {
    const s = await startLocal();
    await track(s, event(s, { idempotency_key: 'a' }));
    await track(s, event(s, { quantity: 0 }));
    const res = await fetchJson(`${s.url}/__admin/reset`, { method: 'POST' });
    expect(res.status).toBe(204);
    expect(s.events()).toEqual([]);
    expect(s.stats()).toMatchObject({ requests: 0, stored: 0, rejected: {}, customers: 0 });
    // The idempotency key is forgotten too.
    expect((await track(s, event(s, { idempotency_key: 'a' }))).status).toBe(201);
    expect(s.events()).toHaveLength(1);
    s.reset();
    expect(s.events()).toEqual([]);
  });

  it('adds meters and customers at run time', async () => {
    const s = await startLocal();
    const added = await fetchJson(`${s.url}/__admin/meters`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gpu_seconds', token: 'tok-gpu', aggregation: 'MAX' }),
    });
    expect(added.status).toBe(201);
    expect(s.meters.gpu_seconds).toMatchObject({ token: 'tok-gpu', aggregation: 'MAX' });
    expect((await track(s, { meter_token: 'tok-gpu', customer_external_id: 'a', quantity: 2 })).status).toBe(
      201,
    );
    const dup = await fetchJson(`${s.url}/__admin/meters`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gpu_seconds' }),
    });
    expect(dup.status).toBe(422);
    const customer = await fetchJson(`${s.url}/__admin/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ external_id: 'initech' }),
    });
    expect(customer.status).toBe(201);
    expect(s.createCustomer('initech').id).toBe(customer.body.id);
    expect(s.addMeter('late', { aggregation: 'LAST' }).aggregation).toBe('LAST');
    expect((await fetchJson(`${s.url}/__admin/meters`)).body.late.aggregation).toBe('LAST');
  });

  it('answers unknown routes with 404 {detail}', async () => {
    const s = await startLocal();
    const res = await fetchJson(`${s.url}/api/v1/nope`);
    expect(res).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
  });
});

describe('usage page', () => {
  it('renders totals, latest events, rejections and counters, refreshing every 2 s', async () => {
    const s = await startLocal({ faults: { slow: { rate: 0.01, ms: 5 } } });
    await track(s, event(s, { customer_external_id: 'acme-corp', quantity: 42, idempotency_key: 'order_1' }));
    await track(s, event(s, { quantity: 'lots' }));
    const res = await fetch(`${s.url}/`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<meta http-equiv="refresh" content="2">');
    expect(html).toContain('acme-corp');
    expect(html).toContain('order_1');
    expect(html).toContain('42');
    expect(html).toContain('quantity must be a JSON number');
    expect(html).toContain('rejected 422');
    expect(html).toContain('&quot;slow&quot;');
    expect(html).not.toContain('<script');
  });

  it('escapes everything that came from a request', async () => {
    const s = await startLocal();
    const evil = '<script>alert("x")</script>';
    await track(
      s,
      event(s, { customer_external_id: evil, metadata: { note: '<img src=x onerror=alert(1)>' } }),
    );
    await track(s, event(s, { customer_external_id: evil, quantity: -1 }));
    const html = await (await fetch(`${s.url}/`)).text();
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('shows only the latest 50 events', async () => {
    const s = await startLocal();
    for (let i = 0; i < 55; i++) await track(s, event(s, { idempotency_key: `key_${i}_end` }));
    const html = await (await fetch(`${s.url}/`)).text();
    expect(html).toContain('key_54_end');
    expect(html).toContain('key_5_end');
    expect(html).not.toContain('key_4_end');
  });
});
