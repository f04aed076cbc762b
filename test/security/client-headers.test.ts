import type { Tracker } from '@fluxrate/core';
import type { LocalServer } from '@fluxrate/local';
import { startFluxrate, trackerFor } from '@fluxrate/testkit';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, type RunningApp, startApp } from '../support/apps.js';

/** Sends `n` GET /v1/search with the given headers, 10 at a time; returns the statuses. */
async function send(url: string, n: number, headers: Record<string, string>): Promise<number[]> {
  const pool = new Pool(url, { connections: 10 });
  const statuses = await Promise.all(
    Array.from({ length: n }, async () => {
      const res = await pool.request({ method: 'GET', path: '/v1/search', headers });
      await res.body.dump();
      return res.statusCode;
    }),
  );
  await pool.close();
  return statuses;
}

describe.each(FRAMEWORKS)('client headers cannot reduce billing: %s', (framework) => {
  let fx: LocalServer;
  let tracker: Tracker<any>;
  let app: RunningApp;
  let clientKeyApp: RunningApp;
  const stored = (customer: string) => fx.events({ customer });

  beforeAll(async () => {
    fx = await startFluxrate();
    tracker = trackerFor(fx);
    app = await startApp(framework, { tracker });
    clientKeyApp = await startApp(framework, { tracker, idempotency: 'client-key' });
  });
  afterAll(async () => {
    await app?.close();
    await clientKeyApp?.close();
    await tracker?.shutdown();
    await fx?.close();
  });

  it('bills 100 requests that all carry the same X-Request-Id 100 times', async () => {
    const customer = `${framework}-xrid`;
    const statuses = await send(app.url, 100, { 'x-customer': customer, 'x-request-id': 'same-id' });
    expect(statuses.every((s) => s === 200)).toBe(true);
    await tracker.flush();
    const events = stored(customer);
    expect(events).toHaveLength(100);
    expect(new Set(events.map((e) => e.idempotencyKey)).size).toBe(100);
    expect(events.every((e) => !e.idempotencyKey?.includes('same-id'))).toBe(true);
  });

  it('ignores a forged Idempotency-Key unless the app opts in: 100 requests, 100 events', async () => {
    const customer = `${framework}-forged`;
    await send(app.url, 100, { 'x-customer': customer, 'idempotency-key': 'forged-key' });
    await tracker.flush();
    expect(stored(customer)).toHaveLength(100);
  });

  it("with idempotency 'client-key', a repeated key bills once and never suppresses another customer's event", async () => {
    const [a, b] = [`${framework}-key-a`, `${framework}-key-b`];
    await send(clientKeyApp.url, 5, { 'x-customer': a, 'idempotency-key': 'order-42' });
    await send(clientKeyApp.url, 5, { 'x-customer': b, 'idempotency-key': 'order-42' });
    await send(clientKeyApp.url, 1, { 'x-customer': b, 'idempotency-key': 'order-43' });
    await tracker.flush();
    expect(stored(a)).toHaveLength(1);
    expect(stored(b)).toHaveLength(2);
    const keys = [...stored(a), ...stored(b)].map((e) => e.idempotencyKey);
    expect(new Set(keys).size).toBe(3);
  });
});
