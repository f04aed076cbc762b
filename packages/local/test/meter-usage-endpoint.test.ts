import { fetchJson, startLocal } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import type { LocalServer } from '../src/index.js';
import { track } from './helpers.js';

async function seed(s: LocalServer, meter: string, events: Array<[string, number, string?, string?]>) {
  for (const [timestamp, quantity, user, customer = 'acme'] of events) {
    const metadata = user ? { user_id: user } : {};
    const res = await track(s, {
      meter_token: s.meters[meter]!.token,
      customer_external_id: customer,
      quantity,
      timestamp,
      metadata,
    });
    expect(res.status).toBe(201);
  }
}

function get(s: LocalServer, meter: string, query: string, headers?: Record<string, string>) {
  return fetchJson(`${s.url}/api/v1/meters/${s.meters[meter]!.id}/usage?${query}`, {
    headers: headers ?? { cookie: `access_token=${s.accessToken}` },
  });
}

const METERS = {
  sum: { aggregation: 'SUM' as const },
  max: { aggregation: 'MAX' as const },
  users: { aggregation: 'UNIQUE_COUNT' as const },
  last: { aggregation: 'LAST' as const },
};

const EVENTS: Array<[string, number, string?, string?]> = [
  ['2025-01-13T09:15:00Z', 2, 'u1', 'acme'], // Monday
  ['2025-01-13T09:45:00Z', 7, 'u2', 'globex'],
  ['2025-01-13T11:00:00Z', 1, 'u1', 'acme'],
  ['2025-01-19T23:59:00Z', 4, 'u3', 'acme'], // Sunday, same ISO week
  ['2025-02-03T08:00:00Z', 3, 'u1', 'acme'], // next month
];

describe('GET /api/v1/meters/:meter_id/usage', () => {
  it('computes SUM, MAX, UNIQUE_COUNT and LAST over the range', async () => {
    const s = await startLocal({ meters: METERS });
    for (const m of Object.keys(METERS)) await seed(s, m, EVENTS);
    const totals: Record<string, number> = {};
    for (const m of Object.keys(METERS)) {
      const res = await get(s, m, 'start_date=2025-01-01&end_date=2025-12-31');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        meter_id: s.meters[m]!.id,
        event_count: 5,
        unique_customers: 2,
        period_start: '2025-01-01T00:00:00.000Z',
        period_end: '2025-12-31T23:59:59.999Z',
      });
      totals[m] = res.body.total_usage;
    }
    // LAST is the latest by event timestamp, not by arrival.
    expect(totals).toEqual({ sum: 17, max: 7, users: 3, last: 3 });
  });

  it('uses the latest timestamp for LAST even when events arrive out of order', async () => {
    const s = await startLocal({ meters: METERS });
    await seed(s, 'last', [
      ['2025-01-02T00:00:00Z', 9],
      ['2025-01-01T00:00:00Z', 5],
    ]);
    expect((await get(s, 'last', '')).body.total_usage).toBe(9);
  });

  it('filters by start_date and end_date (inclusive)', async () => {
    const s = await startLocal({ meters: METERS });
    await seed(s, 'sum', EVENTS);
    const res = await get(s, 'sum', 'start_date=2025-01-13T09:45:00Z&end_date=2025-01-19');
    expect(res.body).toMatchObject({ total_usage: 12, event_count: 3, unique_customers: 2 });
  });

  it('groups by hour, day, week and month with the meter aggregation per period', async () => {
    const s = await startLocal({ meters: METERS });
    await seed(s, 'sum', EVENTS);
    await seed(s, 'users', EVENTS);
    expect((await get(s, 'sum', 'group_by=hour')).body.grouped_data).toEqual([
      { period: '2025-01-13T09:00:00.000Z', usage: 9, event_count: 2 },
      { period: '2025-01-13T11:00:00.000Z', usage: 1, event_count: 1 },
      { period: '2025-01-19T23:00:00.000Z', usage: 4, event_count: 1 },
      { period: '2025-02-03T08:00:00.000Z', usage: 3, event_count: 1 },
    ]);
    expect((await get(s, 'sum', 'group_by=day')).body.grouped_data).toEqual([
      { period: '2025-01-13T00:00:00.000Z', usage: 10, event_count: 3 },
      { period: '2025-01-19T00:00:00.000Z', usage: 4, event_count: 1 },
      { period: '2025-02-03T00:00:00.000Z', usage: 3, event_count: 1 },
    ]);
    // Weeks start on Monday: the Sunday 19th belongs to the week of Monday the 13th.
    expect((await get(s, 'sum', 'group_by=week')).body.grouped_data).toEqual([
      { period: '2025-01-13T00:00:00.000Z', usage: 14, event_count: 4 },
      { period: '2025-02-03T00:00:00.000Z', usage: 3, event_count: 1 },
    ]);
    expect((await get(s, 'users', 'group_by=month')).body.grouped_data).toEqual([
      { period: '2025-01-01T00:00:00.000Z', usage: 3, event_count: 4 },
      { period: '2025-02-01T00:00:00.000Z', usage: 1, event_count: 1 },
    ]);
  });

  it('accepts the X-API-Key as well as the cookie', async () => {
    const s = await startLocal();
    const res = await get(s, 'api_calls', '', { 'x-api-key': s.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total_usage: 0, event_count: 0, unique_customers: 0, grouped_data: [] });
  });

  it('answers 401 without credentials or with a bad key', async () => {
    const s = await startLocal();
    expect((await get(s, 'api_calls', '', {})).status).toBe(401);
    expect((await get(s, 'api_calls', '', { 'x-api-key': 'wrong' })).status).toBe(401);
  });

  it('answers 422 for a bad group_by or date', async () => {
    const s = await startLocal();
    const g = await get(s, 'api_calls', 'group_by=year');
    expect(g.status).toBe(422);
    expect(g.body.detail).toMatch(/group_by must be one of hour, day, week, month/);
    const d = await get(s, 'api_calls', 'start_date=last-tuesday');
    expect(d.status).toBe(422);
    expect(d.body.detail).toMatch(/start_date/);
    const e = await get(s, 'api_calls', 'end_date=2025-13-01');
    expect(e.status).toBe(422);
    expect(e.body.detail).toMatch(/end_date/);
    const order = await get(s, 'api_calls', 'start_date=2025-02-01&end_date=2025-01-01');
    expect(order.status).toBe(422);
  });

  it('answers 404 for an unknown meter id', async () => {
    const s = await startLocal();
    const res = await fetchJson(`${s.url}/api/v1/meters/nope/usage`, { headers: { 'x-api-key': s.apiKey } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Meter not found' });
  });
});
