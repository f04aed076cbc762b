import { fetchJson, sleep, startLocal } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { type FaultOptions, mulberry32, startLocalServer } from '../src/index.js';
import { event, track, trackOutcome } from './helpers.js';

describe('fault injection', () => {
  for (const status of [500, 502, 503] as const) {
    it(`answers ${status} with a detail and stores nothing`, async () => {
      const s = await startLocal({ faults: { [status]: 1 } });
      const res = await track(s, event(s));
      expect(res.status).toBe(status);
      expect(res.body.detail).toMatch(/injected fault/);
      expect(s.events()).toHaveLength(0);
      expect(s.stats().faults[status]).toBe(1);
    });
  }

  it('answers 429 with a Retry-After header of the configured seconds', async () => {
    const s = await startLocal({ faults: { 429: 1, retryAfter: 7 } });
    const res = await track(s, event(s));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(s.events()).toHaveLength(0);
  });

  it('defaults Retry-After to 1 second', async () => {
    const s = await startLocal({ faults: { 429: 1 } });
    expect((await track(s, event(s))).headers.get('retry-after')).toBe('1');
  });

  it('reset-before drops the connection and stores nothing', async () => {
    const s = await startLocal({ faults: { resetBefore: 1 } });
    await expect(track(s, event(s, { idempotency_key: 'k' }))).rejects.toThrow();
    expect(s.events()).toHaveLength(0);
    expect(s.stats().faults.resetBefore).toBe(1);
  });

  it('reset-after stores the event, drops the connection, and a retry with the same key is deduplicated', async () => {
    const s = await startLocal({ faults: { resetAfter: 1 } });
    await expect(track(s, event(s, { idempotency_key: 'req_1_api_calls' }))).rejects.toThrow();
    expect(s.events()).toHaveLength(1);
    const stored = s.events()[0]!;

    s.setFaults({});
    const retry = await track(s, event(s, { idempotency_key: 'req_1_api_calls' }));
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(stored.id);
    expect(s.events()).toHaveLength(1);
    expect(s.stats()).toMatchObject({ stored: 1, deduplicated: 1 });
    expect(s.stats().faults.resetAfter).toBe(1);
  });

  it('slow waits, then stores and answers', async () => {
    const s = await startLocal({ faults: { slow: { rate: 1, ms: 250 } } });
    const t0 = Date.now();
    const res = await track(s, event(s));
    expect(res.status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    expect(s.stats().faults.slow).toBe(1);
  });

  it('slow still stores when the client has given up', async () => {
    const s = await startLocal({ faults: { slow: { rate: 1, ms: 300 } } });
    await expect(
      fetch(`${s.url}/api/v1/sdk/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': s.apiKey },
        body: JSON.stringify(event(s)),
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow();
    expect(s.events()).toHaveLength(0);
    await sleep(450);
    expect(s.events()).toHaveLength(1);
  });

  it('applies to POST /api/v1/usage too', async () => {
    const s = await startLocal({ faults: { 503: 1 } });
    const res = await fetchJson(`${s.url}/api/v1/usage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `access_token=${s.accessToken}` },
      body: JSON.stringify({
        meter_id: s.meters.api_calls!.id,
        customer_id: s.createCustomer('a').id,
        quantity: 1,
      }),
    });
    expect(res.status).toBe(503);
  });

  it('never applies to admin, page or read routes', async () => {
    const s = await startLocal({ faults: { 503: 0.5, resetBefore: 0.5 } });
    for (const path of ['/', '/__admin/stats', '/__admin/events', '/__admin/usage', '/__admin/faults']) {
      expect((await fetchJson(`${s.url}${path}`)).status).toBe(200);
    }
    const read = await fetchJson(`${s.url}/api/v1/meters/${s.meters.api_calls!.id}/usage`, {
      headers: { 'x-api-key': s.apiKey },
    });
    expect(read.status).toBe(200);
    expect(s.stats().requests).toBe(0);
  });

  describe('determinism', () => {
    const faults: FaultOptions = { 500: 0.1, 503: 0.2, 429: 0.1, resetBefore: 0.1, resetAfter: 0.1 };

    async function sequence(options: { seed: number }, n = 40): Promise<Array<number | 'reset'>> {
      const s = await startLocal({ faults, ...options });
      const out: Array<number | 'reset'> = [];
      for (let i = 0; i < n; i++) out.push(await trackOutcome(s, event(s)));
      return out;
    }

    it('gives the same fault sequence for the same seed', async () => {
      const a = await sequence({ seed: 42 });
      const b = await sequence({ seed: 42 });
      expect(a).toEqual(b);
      expect(new Set(a).size).toBeGreaterThanOrEqual(4);
    });

    it('gives a different sequence for another seed', async () => {
      expect(await sequence({ seed: 1 })).not.toEqual(await sequence({ seed: 2 }));
    });

    it('restarts the sequence when setFaults is given a seed', async () => {
      const expected = await sequence({ seed: 7 }, 20);
      const s = await startLocal({ seed: 123 });
      for (let i = 0; i < 5; i++) await track(s, event(s));
      s.setFaults({ ...faults, seed: 7 });
      const got: Array<number | 'reset'> = [];
      for (let i = 0; i < 20; i++) got.push(await trackOutcome(s, event(s)));
      expect(got).toEqual(expected);
      expect(s.stats().seed).toBe(7);
    });

    it('hits each rate roughly in proportion', async () => {
      const s = await startLocal({ seed: 9, faults: { 503: 0.25 } });
      const results = await Promise.all(Array.from({ length: 400 }, () => trackOutcome(s, event(s))));
      const unavailable = results.filter((r) => r === 503).length;
      expect(unavailable).toBeGreaterThan(60);
      expect(unavailable).toBeLessThan(140);
      expect(s.stats().faults['503']).toBe(unavailable);
      expect(s.events()).toHaveLength(400 - unavailable);
    });

    it('exports the mulberry32 PRNG it uses', () => {
      const a = mulberry32(5);
      const b = mulberry32(5);
      const xs = [a(), a(), a()];
      expect(xs).toEqual([b(), b(), b()]);
      for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
    });
  });

  describe('configuration', () => {
    it('is replaced at run time through PUT /__admin/faults', async () => {
      const s = await startLocal();
      const put = await fetchJson(`${s.url}/__admin/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ 502: 1 }),
      });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({ 502: 1 });
      expect((await track(s, event(s))).status).toBe(502);
      await fetchJson(`${s.url}/__admin/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect((await track(s, event(s))).status).toBe(201);
    });

    it('rejects bad fault settings naming the field', async () => {
      const s = await startLocal();
      const res = await fetchJson(`${s.url}/__admin/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ 503: 2 }),
      });
      expect(res.status).toBe(422);
      expect(res.body.detail).toMatch(/faults\.503/);
      expect(() => s.setFaults({ slow: { rate: 0.1, ms: -1 } })).toThrow(/faults\.slow\.ms/);
      expect(() => s.setFaults({ 500: 0.6, 503: 0.6 })).toThrow(/at most 1/);
      expect(() => s.setFaults({ teapot: 1 } as FaultOptions)).toThrow(/faults\.teapot/);
      await expect(startLocalServer({ faults: { 429: -0.1 } })).rejects.toThrow(/faults\.429/);
    });
  });
});
