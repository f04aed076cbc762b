import { fetchJson, startLocal } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { event, track, UUID } from './helpers.js';

describe('POST /api/v1/sdk/track', () => {
  it('stores an event and answers 201 with the Fluxrate record', async () => {
    const s = await startLocal();
    const before = Date.now();
    const res = await track(s, event(s, { quantity: 100, metadata: { region: 'eu' } }));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      customer_id: expect.stringMatching(UUID),
      meter_id: s.meters.api_calls!.id,
      quantity: '100',
      timestamp: expect.any(String),
      created_at: expect.any(String),
      meta_data: { region: 'eu' },
    });
    // timestamp defaults to now
    expect(Date.parse(res.body.timestamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(s.events()).toHaveLength(1);
    expect(s.events()[0]).toMatchObject({
      meter: 'api_calls',
      customer: 'acme',
      quantity: 100,
      source: 'track',
    });
  });

  it('returns decimal quantities as strings without exponents', async () => {
    const s = await startLocal();
    expect((await track(s, event(s, { quantity: 1.5 }))).body.quantity).toBe('1.5');
    expect((await track(s, event(s, { quantity: 1e21 }))).body.quantity).toBe('1000000000000000000000');
    expect((await track(s, event(s, { quantity: 1e-7 }))).body.quantity).toBe('0.0000001');
  });

  it('keeps the given timestamp, normalised to UTC', async () => {
    const s = await startLocal();
    const res = await track(s, event(s, { timestamp: '2025-01-15T12:30:00+02:00' }));
    expect(res.body.timestamp).toBe('2025-01-15T10:30:00.000Z');
  });

  it('creates a customer on first sight and reuses it afterwards', async () => {
    const s = await startLocal();
    const a = await track(s, event(s, { customer_external_id: 'acme' }));
    const b = await track(s, event(s, { customer_external_id: 'acme' }));
    const c = await track(s, event(s, { customer_external_id: 'globex' }));
    expect(a.body.customer_id).toBe(b.body.customer_id);
    expect(c.body.customer_id).not.toBe(a.body.customer_id);
    expect(s.stats().customers).toBe(2);
  });

  it('accepts null for optional fields, as Python clients send them', async () => {
    const s = await startLocal();
    const res = await track(s, event(s, { idempotency_key: null, timestamp: null }));
    expect(res.status).toBe(201);
  });

  describe('deduplication', () => {
    it('returns the original record for a repeated idempotency_key and stores once', async () => {
      const s = await startLocal();
      const first = await track(s, event(s, { quantity: 3, idempotency_key: 'order_789_step_3' }));
      const again = await track(s, event(s, { quantity: 5, idempotency_key: 'order_789_step_3' }));
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(s.events()).toHaveLength(1);
      expect(s.stats()).toMatchObject({ stored: 1, deduplicated: 1 });
    });

    it('scopes keys to the whole server, across customers and meters', async () => {
      const s = await startLocal();
      const first = await track(s, event(s, { idempotency_key: 'k1' }));
      const other = await track(s, {
        meter_token: s.meters.tokens!.token,
        customer_external_id: 'globex',
        quantity: 9,
        idempotency_key: 'k1',
      });
      expect(other.body).toEqual(first.body);
      expect(s.stats().customers).toBe(1);
    });

    it('stores events without a key every time', async () => {
      const s = await startLocal();
      await track(s, event(s));
      await track(s, event(s));
      expect(s.events()).toHaveLength(2);
    });
  });

  describe('auth', () => {
    it('answers 401 without an API key', async () => {
      const s = await startLocal();
      const res = await track(s, event(s), { 'x-api-key': '' });
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/X-API-Key/);
    });

    it('answers 401 for an unknown key and does not echo it', async () => {
      const s = await startLocal();
      const res = await track(s, event(s), { 'x-api-key': 'org_live_nope_secret' });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Invalid API key' });
    });

    it('answers 403 for a key without the usage.write scope', async () => {
      const s = await startLocal({
        apiKeys: ['org_live_writer', { key: 'org_live_reader', scopes: ['usage.read'] }],
      });
      const res = await track(s, event(s), { 'x-api-key': 'org_live_reader' });
      expect(res.status).toBe(403);
      expect(res.body.detail).toMatch(/usage\.write/);
      expect((await track(s, event(s), { 'x-api-key': 'org_live_writer' })).status).toBe(201);
    });

    it('generates a default org_live_local_ key', async () => {
      const s = await startLocal();
      expect(s.apiKey).toMatch(/^org_live_local_[0-9a-f]+$/);
    });
  });

  describe('validation (422 naming the field)', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['missing meter_token', { meter_token: undefined }, /meter_token is required/],
      ['non-string meter_token', { meter_token: 42 }, /meter_token must be a string/],
      [
        'missing customer_external_id',
        { customer_external_id: undefined },
        /customer_external_id is required/,
      ],
      ['empty customer_external_id', { customer_external_id: '' }, /customer_external_id must not be empty/],
      ['missing quantity', { quantity: undefined }, /quantity is required/],
      ['quantity as a string', { quantity: '5' }, /quantity must be a JSON number/],
      ['zero quantity', { quantity: 0 }, /quantity must be a finite number greater than 0/],
      ['negative quantity', { quantity: -1 }, /quantity must be a finite number greater than 0/],
      ['bad timestamp', { timestamp: 'yesterday' }, /timestamp must be an ISO 8601/],
      ['impossible date', { timestamp: '2025-02-30T00:00:00Z' }, /timestamp/],
      ['numeric timestamp', { timestamp: 1736937000 }, /timestamp/],
      ['array metadata', { metadata: [1, 2] }, /metadata must be a JSON object, got an array/],
      ['null metadata', { metadata: null }, /metadata must be a JSON object, got null/],
      ['string metadata', { metadata: 'x' }, /metadata must be a JSON object/],
      ['numeric idempotency_key', { idempotency_key: 7 }, /idempotency_key must be a string/],
    ];
    for (const [name, patch, detail] of cases) {
      it(`rejects ${name}`, async () => {
        const s = await startLocal();
        const res = await track(s, event(s, patch));
        expect(res.status).toBe(422);
        expect(res.body.detail).toMatch(detail);
        expect(s.events()).toHaveLength(0);
      });
    }

    it('rejects a quantity that overflows to Infinity', async () => {
      const s = await startLocal();
      const body = JSON.stringify(event(s)).replace('"quantity":1', '"quantity":1e400');
      const res = await track(s, body);
      expect(res.status).toBe(422);
      expect(res.body.detail).toMatch(/quantity/);
    });

    it('requires metadata.user_id on UNIQUE_COUNT meters', async () => {
      const s = await startLocal();
      const body = { meter_token: s.meters.active_users!.token, customer_external_id: 'acme', quantity: 1 };
      const res = await track(s, body);
      expect(res.status).toBe(422);
      expect(res.body.detail).toBe('metadata.user_id is required for UNIQUE_COUNT meters');
      expect((await track(s, { ...body, metadata: { user_id: 'u1' } })).status).toBe(201);
    });

    it('rejects a JSON body that is not an object', async () => {
      const s = await startLocal();
      const res = await track(s, '[1,2]');
      expect(res.status).toBe(422);
      expect(res.body.detail).toMatch(/JSON object/);
    });

    it('names every bad field at once', async () => {
      const s = await startLocal();
      const res = await track(s, { quantity: '5' });
      expect(res.body.detail).toMatch(/meter_token.*customer_external_id.*quantity/);
    });

    it('can answer in FastAPI style', async () => {
      const s = await startLocal({ validationDetail: 'fastapi' });
      const res = await track(s, event(s, { quantity: '5' }));
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual([
        { loc: ['body', 'quantity'], msg: 'quantity must be a JSON number, got string', type: 'value_error' },
      ]);
    });
  });

  it('answers 404 "Meter not found" for an unknown meter token', async () => {
    const s = await startLocal();
    const res = await track(s, event(s, { meter_token: '00000000-0000-0000-0000-000000000000' }));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Meter not found' });
    expect(s.stats().customers).toBe(0);
  });

  describe('transport errors (400)', () => {
    it('answers 400 for malformed JSON', async () => {
      const s = await startLocal();
      const res = await track(s, '{"meter_token": ');
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/^Malformed JSON body/);
    });

    it('answers 400 (not 415) for a non-JSON content type', async () => {
      const s = await startLocal();
      const res = await track(s, JSON.stringify(event(s)), { 'content-type': 'text/plain' });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/Content-Type: application\/json/);
    });

    it('answers 400 for a body without a content type', async () => {
      const s = await startLocal();
      const res = await fetchJson(`${s.url}/api/v1/sdk/track`, {
        method: 'POST',
        headers: { 'x-api-key': s.apiKey },
        body: new Uint8Array(Buffer.from(JSON.stringify(event(s)))),
      });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/Content-Type/);
    });

    it('answers 400 for no body at all', async () => {
      const s = await startLocal();
      const res = await fetchJson(`${s.url}/api/v1/sdk/track`, {
        method: 'POST',
        headers: { 'x-api-key': s.apiKey },
      });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/JSON/);
    });

    it('answers 400 for an empty JSON body', async () => {
      const s = await startLocal();
      const res = await track(s, '');
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/empty/);
    });
  });
});
