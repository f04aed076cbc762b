import { fetchJson, startLocal } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { event, track } from './helpers.js';

describe('bounded memory', () => {
  it('answers 507 once maxEvents is reached, explaining how to reset', async () => {
    const s = await startLocal({ maxEvents: 3 });
    for (let i = 0; i < 3; i++)
      expect((await track(s, event(s, { idempotency_key: `k${i}` }))).status).toBe(201);
    const full = await track(s, event(s));
    expect(full.status).toBe(507);
    expect(full.body.detail).toMatch(/at most 3 events/);
    expect(full.body.detail).toMatch(/POST \/__admin\/reset/);
    // A duplicate stores nothing, so it is still answered with the original.
    expect((await track(s, event(s, { idempotency_key: 'k0' }))).status).toBe(201);
    expect(s.stats().rejected['507']).toBe(1);
    s.reset();
    expect((await track(s, event(s))).status).toBe(201);
  });

  it('keeps only the last 200 rejected requests', async () => {
    const s = await startLocal();
    await Promise.all(Array.from({ length: 230 }, (_, i) => track(s, event(s, { quantity: -i - 1 }))));
    expect(s.rejected()).toHaveLength(200);
    expect(s.stats().rejected['422']).toBe(230);
  });

  it('rejects bad options at start, naming them', async () => {
    await expect(startLocal({ maxEvents: 0 })).rejects.toThrow(/maxEvents/);
    await expect(startLocal({ meters: { m: { aggregation: 'AVG' as never } } })).rejects.toThrow(
      /meters\.m\.aggregation/,
    );
    await expect(startLocal({ apiKeys: [] })).rejects.toThrow(/apiKeys/);
    await expect(startLocal({ meters: { a: 'same', b: 'same' } })).rejects.toThrow(/meters\.b\.token/);
  });
});

describe('malformed input never crashes the server', () => {
  it('answers 413 for a body over the limit', async () => {
    const s = await startLocal({ bodyLimit: 10_000 });
    const res = await track(s, event(s, { metadata: { blob: 'x'.repeat(20_000) } }));
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/10000 bytes/);
    expect((await track(s, event(s))).status).toBe(201);
  });

  it('handles a multi-megabyte body', async () => {
    const s = await startLocal();
    const res = await track(s, 'x'.repeat(5_000_000)).catch(() => ({ status: 'reset' }));
    // Either a clean 413 or, if the server stopped reading early, a dropped connection; never a crash.
    expect([413, 'reset']).toContain(res.status);
    expect((await track(s, event(s))).status).toBe(201);
  });

  it('refuses metadata nested too deep to serialise back, and accepts reasonable nesting', async () => {
    const s = await startLocal();
    let deep = '1';
    for (let i = 0; i < 100_000; i++) deep = `{"a":${deep}}`;
    const body = JSON.stringify(event(s)).replace('}', `,"metadata":${deep}}`);
    const res = await track(s, body);
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/metadata is nested deeper than 32 levels/);

    let ok: unknown = 'leaf';
    for (let i = 0; i < 20; i++) ok = { level: ok };
    expect((await track(s, event(s, { metadata: { tree: ok } }))).status).toBe(201);
    expect((await fetchJson(`${s.url}/`)).status).toBe(200);
  });

  it('survives deeply nested arrays anywhere in the body', async () => {
    const s = await startLocal();
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const res = await track(s, `{"meter_token":${deep},"quantity":1}`);
    expect(res.status).toBe(422);
    expect((await track(s, event(s))).status).toBe(201);
  });

  it('keeps a __proto__ key as plain data', async () => {
    const s = await startLocal();
    const res = await track(
      s,
      JSON.stringify(event(s)).replace('}', ',"metadata":{"__proto__":{"admin":true}}}'),
    );
    expect(res.status).toBe(201);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('survives a flood of garbage requests', async () => {
    const s = await startLocal();
    const bodies = ['', 'null', '[]', '"x"', '1', '{', '{"quantity":{}}', '\u0000\u0001', '{"metadata":"x"}'];
    const answers = await Promise.all(bodies.map((b) => track(s, b)));
    for (const a of answers) {
      expect([400, 422]).toContain(a.status);
      expect(typeof a.body.detail).toBe('string');
    }
    expect((await track(s, event(s))).status).toBe(201);
  });
});
