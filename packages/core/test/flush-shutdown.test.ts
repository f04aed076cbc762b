import { expectWarnings, record, scripted, startScriptedServer, tracker, waitFor } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

/** A base URL nothing listens on (a server started then closed): every attempt is refused. */
async function deadUrl(): Promise<string> {
  const server = await startScriptedServer();
  await server.close();
  return server.url;
}

describe('flush()', () => {
  it('resolves at once with nothing outstanding', async () => {
    const t = tracker();
    expect(await t.flush()).toEqual({ settled: true, pending: 0 });
  });

  it('settles everything tracked before the call', async () => {
    const server = await scripted([{ delayMs: 40 }]);
    const t = tracker({ baseUrl: server.url, concurrency: 2 });
    for (let i = 0; i < 5; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(await t.flush()).toEqual({ settled: true, pending: 0 });
    expect(t.stats()).toMatchObject({ delivered: 5, queued: 0, inFlight: 0 });
  });

  it('does not wait for events tracked after the call', async () => {
    const server = await scripted((req) => (req.json.idempotency_key === 'late' ? { hang: true } : {}));
    const t = tracker({ baseUrl: server.url, timeoutMs: 5_000 });
    t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'early' });
    const flushed = t.flush();
    t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'late' });
    expect(await flushed).toEqual({ settled: true, pending: 0 });
    expect(t.stats()).toMatchObject({ delivered: 1, inFlight: 1 });
  });

  it('returns the same promise to concurrent calls when nothing was tracked in between', async () => {
    const server = await scripted([{ delayMs: 20 }]);
    const t = tracker({ baseUrl: server.url });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    const first = t.flush();
    const second = t.flush();
    expect(second).toBe(first);
    await first;
  });

  it('returns a new promise once something was tracked in between, and settles both in order', async () => {
    const server = await scripted([{ delayMs: 20 }]);
    const t = tracker({ baseUrl: server.url });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    const first = t.flush();
    t.track({ meter: 'api_calls', customerId: 'acme' });
    const second = t.flush();
    expect(second).not.toBe(first);
    const order: string[] = [];
    await Promise.all([first.then(() => order.push('first')), second.then(() => order.push('second'))]);
    expect(order).toEqual(['first', 'second']);
    expect(t.stats().delivered).toBe(2);
  });

  it('returns settled:false with the pending count when timeoutMs passes while the server is down', async () => {
    const t = tracker({ baseUrl: await deadUrl() });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    const started = Date.now();
    const result = await t.flush({ timeoutMs: 150 });
    const elapsed = Date.now() - started;
    expect(result).toEqual({ settled: false, pending: 2 });
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(600);
    expect(t.stats().retried).toBeGreaterThan(0);
  });

  it('returns settled:true before timeoutMs when delivery finishes first', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(await t.flush({ timeoutMs: 5_000 })).toEqual({ settled: true, pending: 0 });
  });
});

describe('shutdown()', () => {
  it('drains everything and reports the counts', async () => {
    const server = await scripted([{ status: 503 }, { delayMs: 20 }]);
    const t = tracker({ baseUrl: server.url });
    for (let i = 0; i < 4; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    const report = await t.shutdown({ timeoutMs: 5_000 });
    expect(report).toEqual({ delivered: 4, failed: 0, dropped: 0, pending: [], openHolds: 0 });
    expect(t.stats()).toMatchObject({ queued: 0, inFlight: 0 });
  });

  it('returns near the deadline with the undelivered events when the server is down', async () => {
    expectWarnings('FLUXRATE_SHUTDOWN_LEFT');
    const t = tracker({ baseUrl: await deadUrl() });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'a' });
    t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'b' });
    const started = Date.now();
    const report = await t.shutdown({ timeoutMs: 300 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(800);
    expect(report.pending.map((e) => e.idempotencyKey).sort()).toEqual(['a', 'b']);
    expect(report).toMatchObject({ delivered: 0, failed: 0, dropped: 2 });
    expect(events.dropped.map((d) => d.reason)).toEqual(['shutdown-deadline', 'shutdown-deadline']);
    expect(t.stats()).toMatchObject({ queued: 0, inFlight: 0, dropped: 2 });
  });

  it('aborts an attempt still in flight at the deadline and reports its event', async () => {
    expectWarnings('FLUXRATE_SHUTDOWN_LEFT');
    const server = await scripted([{ hang: true }]);
    const t = tracker({ baseUrl: server.url, timeoutMs: 10_000 });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'hung' });
    await waitFor(() => server.requests.length === 1);
    const started = Date.now();
    const report = await t.shutdown({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(700);
    expect(report.pending.map((e) => e.idempotencyKey)).toEqual(['hung']);
    expect(events.dropped).toEqual([expect.objectContaining({ reason: 'shutdown-deadline' })]);
  });

  it('brings a long-waiting retry forward so the deadline is spent retrying, not sleeping', async () => {
    const server = await scripted([{ status: 503, headers: { 'retry-after': '30' } }, { status: 201 }]);
    const t = tracker({ baseUrl: server.url, retry: { minTimeout: 10, maxTimeout: 20 } });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await waitFor(() => t.stats().retried === 1);
    const started = Date.now();
    const report = await t.shutdown({ timeoutMs: 10_000 });
    expect(report.delivered).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('is idempotent: every call returns the same promise', async () => {
    const t = tracker();
    const first = t.shutdown({ timeoutMs: 100 });
    expect(t.shutdown({ timeoutMs: 5_000 })).toBe(first);
    expect(t.shutdown()).toBe(first);
    await first;
  });

  it('reports the tracker closed from the moment shutdown starts', () => {
    const t = tracker();
    expect(t.closed).toBe(false);
    void t.shutdown({ timeoutMs: 50 });
    expect(t.closed).toBe(true);
  });
});
