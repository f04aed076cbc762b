import {
  captureLogger,
  captureWarnings,
  expectWarnings,
  record,
  scripted,
  sleep,
  tracker,
} from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

describe('accounting', () => {
  it('once() hears only the next event of its kind', async () => {
    const server = await scripted(() => ({ status: 201 }));
    const t = tracker({ baseUrl: server.url });
    const heard: string[] = [];
    t.once('delivered', (e) => heard.push(e.event.idempotencyKey));
    for (const key of ['a', 'b', 'c'])
      t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: key });
    await t.flush();
    expect(heard).toHaveLength(1);
    expect(t.stats().delivered).toBe(3);
  });

  it('ends every event as delivered, failed or dropped, each emitted and counted', async () => {
    // Per key: ok -> 201; bad -> 422; flaky -> 503 then 201; dead -> 503 forever (retries exhausted).
    const server = await scripted((req) => {
      const key: string = req.json?.idempotency_key ?? '';
      if (key.startsWith('bad')) return { status: 422, body: { detail: 'nope' } };
      if (key.startsWith('dead')) return { status: 503 };
      if (key.startsWith('flaky') && server.attemptsFor(key).length === 1) return { status: 503 };
      return { status: 201 };
    });
    const t = tracker({
      baseUrl: server.url,
      maxQueueSize: 8,
      retry: { minTimeout: 5, maxTimeout: 10, retries: 2 },
    });
    const events = record(t);
    const keys = ['ok1', 'ok2', 'flaky1', 'flaky2', 'bad1', 'bad2', 'dead1', 'dead2', 'over1', 'over2'];
    for (const key of keys) t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: key });
    await t.flush();
    const ended = [
      ...events.delivered.map((e) => e.event.idempotencyKey),
      ...events.failed.map((e) => e.event.idempotencyKey),
      ...events.dropped.map((e) => e.event.idempotencyKey),
    ].sort();
    expect(ended).toEqual([...keys].sort());
    expect(events.dropped.map((e) => e.reason)).toEqual(['overflow', 'overflow']);
    expect(t.stats()).toMatchObject({
      tracked: 8,
      delivered: 4,
      failed: 4,
      dropped: 2,
      queued: 0,
      inFlight: 0,
    });
    expect(events.failed.filter((e) => e.reason === 'rejected')).toHaveLength(2);
    expect(events.failed.filter((e) => e.reason === 'retries-exhausted')).toHaveLength(2);
    expect(events.drained.length).toBeGreaterThanOrEqual(1);
  });

  it('drops the newest events on overflow with exact counts and dropped events', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url, maxQueueSize: 3 });
    const events = record(t);
    for (let i = 0; i < 7; i++) t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: `k${i}` });
    expect(t.stats()).toMatchObject({ tracked: 3, queued: 3, dropped: 4 });
    expect(events.dropped.map((d) => [d.reason, d.event.idempotencyKey])).toEqual([
      ['overflow', 'k3'],
      ['overflow', 'k4'],
      ['overflow', 'k5'],
      ['overflow', 'k6'],
    ]);
    await t.flush();
    expect(server.requests.map((r) => r.json.idempotency_key).sort()).toEqual(['k0', 'k1', 'k2']);
  });

  it('counts events waiting to retry against maxQueueSize', async () => {
    expectWarnings('FLUXRATE_EVENT_DROPPED');
    const server = await scripted([{ status: 503 }]);
    // coalesce: false: generated keys would otherwise be coalesced past the bound instead of dropped.
    const t = tracker({
      baseUrl: server.url,
      maxQueueSize: 2,
      coalesce: false,
      retry: { minTimeout: 200, maxTimeout: 200 },
    });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await sleep(50);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(t.stats()).toMatchObject({ tracked: 2, dropped: 1 });
  });

  it('rate-limits overflow warnings in the log but emits every drop', () => {
    const logger = captureLogger();
    const t = tracker({ maxQueueSize: 1, logger, coalesce: false });
    const events = record(t);
    for (let i = 0; i < 50; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(events.dropped).toHaveLength(49);
    expect(logger.calls.filter((c) => c.msg?.includes('dropped')).length).toBe(1);
  });

  it('drops track() after shutdown with reason after-shutdown, emitted and counted', async () => {
    const t = tracker();
    const events = record(t);
    await t.shutdown({ timeoutMs: 100 });
    expect(t.closed).toBe(true);
    expect(() => t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'late' })).not.toThrow();
    expect(events.dropped).toHaveLength(1);
    expect(events.dropped[0]).toMatchObject({ reason: 'after-shutdown', event: { idempotencyKey: 'late' } });
    expect(t.stats()).toMatchObject({ tracked: 0, dropped: 1 });
  });

  it('still validates track() after shutdown', async () => {
    const t = tracker();
    await t.shutdown({ timeoutMs: 100 });
    expect(() => t.track({ meter: 'nope', customerId: 'acme' })).toThrow(/meter/);
  });

  it('sends nothing when disabled, counting each event as skipped (reason disabled), said once', async () => {
    const warnings = captureWarnings();
    const server = await scripted();
    const t = tracker({ baseUrl: server.url, disabled: true });
    t.track({ meter: 'api_calls', customerId: 'unheard' });
    expect(warnings.of('FLUXRATE_SKIPPED')).toEqual([expect.stringContaining('disabled: true')]);
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.track({ meter: 'api_calls', customerId: 'globex' });
    expect(await t.flush()).toEqual({ settled: true, pending: 0 });
    await sleep(30);
    expect(server.requests).toHaveLength(0);
    expect(events.skipped.map((s) => s.reason)).toEqual(['disabled', 'disabled']);
    expect(t.stats()).toMatchObject({ tracked: 0, skipped: 3, delivered: 0 });
  });

  it('still validates events when disabled', () => {
    const t = tracker({ disabled: true });
    expect(() => t.track({ meter: 'api_calls', customerId: 'acme', quantity: -1 })).toThrow(/quantity/);
  });

  it('sends only allow-listed customers, skipping others (reason not-allowed)', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url, customerAllowList: ['acme'] });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.track({ meter: 'api_calls', customerId: 'globex' });
    await t.flush();
    expect(server.requests.map((r) => r.json.customer_external_id)).toEqual(['acme']);
    expect(events.skipped).toEqual([{ reason: 'not-allowed', meter: 'api_calls', customerId: 'globex' }]);
    expect(t.stats()).toMatchObject({ tracked: 1, skipped: 1, delivered: 1 });
  });

  it('accepts a function as customerAllowList', async () => {
    expectWarnings('FLUXRATE_SKIPPED');
    const server = await scripted();
    const t = tracker({ baseUrl: server.url, customerAllowList: (id) => id.startsWith('test_') });
    t.track({ meter: 'api_calls', customerId: 'test_1' });
    t.track({ meter: 'api_calls', customerId: 'prod_1' });
    await t.flush();
    expect(server.requests).toHaveLength(1);
    expect(t.stats().skipped).toBe(1);
  });

  it('keeps delivering when a listener throws', async () => {
    const server = await scripted();
    const logger = captureLogger();
    const t = tracker({ baseUrl: server.url, logger });
    t.on('delivered', () => {
      throw new Error('listener bug');
    });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(t.stats().delivered).toBe(2);
    expect(logger.calls.some((c) => c.level === 'error' && c.msg?.includes('listener'))).toBe(true);
  });
});
