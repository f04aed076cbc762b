import {
  API_KEY,
  captureLogger,
  expectWarnings,
  record,
  scripted,
  TOKEN,
  tracker,
  waitFor,
} from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/index.js';

describe('delivery: request shape', () => {
  it('POSTs /api/v1/sdk/track with the body fields Fluxrate documents', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url });
    t.track({
      meter: 'api_calls',
      customerId: 'acme',
      quantity: 2.5,
      timestamp: '2025-01-15T10:30:00+02:00',
      idempotencyKey: 'order_789_step_3',
      metadata: { region: 'eu', tags: ['a'] },
    });
    await t.flush();
    const [req] = server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/api/v1/sdk/track');
    expect(req!.json).toEqual({
      meter_token: TOKEN,
      customer_external_id: 'acme',
      quantity: 2.5,
      timestamp: '2025-01-15T08:30:00.000Z',
      idempotency_key: 'order_789_step_3',
      metadata: { region: 'eu', tags: ['a'] },
    });
  });

  it('keeps a path prefix from baseUrl', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: `${server.url}/fluxrate/` });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(server.requests[0]!.url).toBe('/fluxrate/api/v1/sdk/track');
  });

  it("keeps baseUrl's query string on every request (a gateway's ?code=…), retries included", async () => {
    const server = await scripted([{ status: 503 }, {}]);
    const t = tracker({ baseUrl: `${server.url}/proxy/fluxrate?code=gw123&region=eu` });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(server.requests.map((r) => r.url)).toEqual([
      '/proxy/fluxrate/api/v1/sdk/track?code=gw123&region=eu',
      '/proxy/fluxrate/api/v1/sdk/track?code=gw123&region=eu',
    ]);
  });

  it('sends content-type, X-API-Key and a fluxrate-node User-Agent', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    const { headers } = server.requests[0]!;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-api-key']).toBe(API_KEY);
    expect(headers['user-agent']).toBe(`fluxrate-node/${VERSION} node/${process.versions.node}`);
    expect(headers.cookie).toBeUndefined();
  });

  it('emits delivered with the status and attempt count', async () => {
    const server = await scripted([{ status: 200 }]);
    const t = tracker({ baseUrl: server.url });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'k1' });
    await t.flush();
    expect(events.delivered).toHaveLength(1);
    expect(events.delivered[0]).toMatchObject({ status: 200, attempts: 1 });
    expect(events.delivered[0]!.event).toMatchObject({
      meter: 'api_calls',
      customerId: 'acme',
      idempotencyKey: 'k1',
    });
    expect(t.stats()).toMatchObject({
      tracked: 1,
      delivered: 1,
      failed: 0,
      retried: 0,
      queued: 0,
      inFlight: 0,
    });
  });
});

describe('delivery: retries', () => {
  it.each([408, 429, 500, 502, 503, 504])(
    'retries a %i with the same body and idempotency key',
    async (status) => {
      const server = await scripted([{ status }, { status }, { status: 201 }]);
      const t = tracker({ baseUrl: server.url });
      const events = record(t);
      t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: `retry_${status}` });
      await t.flush();
      expect(server.requests).toHaveLength(3);
      const bodies = new Set(server.requests.map((r) => r.body));
      expect(bodies.size).toBe(1);
      expect(server.requests[0]!.json.idempotency_key).toBe(`retry_${status}`);
      expect(events.retry.map((r) => r.status)).toEqual([status, status]);
      expect(events.delivered[0]!.attempts).toBe(3);
      expect(t.stats()).toMatchObject({ delivered: 1, retried: 2, failed: 0 });
    },
  );

  it('keeps the generated default key on every retry', async () => {
    const server = await scripted([{ status: 503 }, { status: 201 }]);
    const t = tracker({ baseUrl: server.url });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    const [first, second] = server.requests;
    expect(first!.json.idempotency_key).toMatch(/^evt_/);
    expect(second!.body).toBe(first!.body);
  });

  it.each([400, 401, 403, 404, 409, 422])(
    'fails a %i with its status and detail, without retrying',
    async (status) => {
      expectWarnings(...(status === 401 || status === 403 ? ['FLUXRATE_AUTH'] : []));
      const server = await scripted([{ status, body: { detail: `server says ${status}` } }, { status: 201 }]);
      const t = tracker({ baseUrl: server.url, logger: {} });
      const events = record(t);
      t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'k' });
      await t.flush();
      expect(server.requests).toHaveLength(1);
      expect(events.failed).toHaveLength(1);
      expect(events.failed[0]).toMatchObject({
        reason: 'rejected',
        status,
        detail: `server says ${status}`,
        attempts: 1,
      });
      expect(events.retry).toHaveLength(0);
      expect(t.stats()).toMatchObject({ failed: 1, delivered: 0, retried: 0 });
    },
  );

  it('reports a FastAPI-style array detail as text', async () => {
    const detail = [{ loc: ['body', 'quantity'], msg: 'must be > 0', type: 'value_error' }];
    const server = await scripted([{ status: 422, body: { detail } }]);
    const t = tracker({ baseUrl: server.url });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(events.failed[0]!.detail).toContain('must be > 0');
  });

  it('honours Retry-After in seconds on a 429', async () => {
    const server = await scripted([{ status: 429, headers: { 'retry-after': '1' } }, { status: 201 }]);
    const t = tracker({ baseUrl: server.url });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    const gap = server.requests[1]!.at - server.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(1_500);
    expect(events.retry[0]!.delayMs).toBe(1_000);
  });

  it('honours Retry-After as an HTTP date on a 429', async () => {
    const server = await scripted(() => ({}));
    server.script((_req, index) =>
      index === 0
        ? { status: 429, headers: { 'retry-after': new Date(Date.now() + 2_000).toUTCString() } }
        : { status: 201 },
    );
    const t = tracker({ baseUrl: server.url });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    const gap = server.requests[1]!.at - server.requests[0]!.at;
    // HTTP dates have whole-second precision: the wait is between 1 and 2 s.
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(2_300);
  });

  it('caps Retry-After at retry.maxRetryAfter', async () => {
    const server = await scripted([{ status: 429, headers: { 'retry-after': '3600' } }, { status: 201 }]);
    const t = tracker({ baseUrl: server.url, retry: { minTimeout: 5, maxTimeout: 20, maxRetryAfter: 50 } });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    const started = Date.now();
    await t.flush();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.requests).toHaveLength(2);
  });

  it('retries an attempt that times out (server hangs longer than timeoutMs)', async () => {
    const server = await scripted([{ hang: true }, { status: 201 }]);
    const t = tracker({ baseUrl: server.url, timeoutMs: 100 });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'slow' });
    const started = Date.now();
    await t.flush();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(server.attemptsFor('slow')).toHaveLength(2);
    expect(events.retry[0]!.error).toMatch(/timeout/);
    expect(events.delivered[0]!.attempts).toBe(2);
  });

  it('retries a connection reset', async () => {
    const server = await scripted([{ reset: true }, { status: 201 }]);
    const t = tracker({ baseUrl: server.url });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(server.requests).toHaveLength(2);
    expect(events.retry).toHaveLength(1);
    expect(events.delivered).toHaveLength(1);
  });

  it('fails with retries-exhausted after retry.retries', async () => {
    const server = await scripted([{ status: 503, body: { detail: 'down for maintenance' } }]);
    const t = tracker({ baseUrl: server.url, retry: { minTimeout: 5, maxTimeout: 10, retries: 2 } });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(server.requests).toHaveLength(3);
    expect(events.failed).toHaveLength(1);
    expect(events.failed[0]).toMatchObject({ reason: 'retries-exhausted', status: 503, attempts: 3 });
    expect(events.failed[0]!.detail).toContain('down for maintenance');
    expect(t.stats()).toMatchObject({ failed: 1, retried: 2, delivered: 0 });
  });

  it('sends exactly one attempt with retry.retries 0', async () => {
    const server = await scripted([{ status: 500 }]);
    const t = tracker({ baseUrl: server.url, retry: { retries: 0, minTimeout: 5, maxTimeout: 10 } });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(server.requests).toHaveLength(1);
    expect(events.failed[0]!.reason).toBe('retries-exhausted');
  });

  it('fails with retries-exhausted after retry.maxRetryTime', async () => {
    const server = await scripted([{ status: 500 }]);
    const t = tracker({ baseUrl: server.url, retry: { minTimeout: 10, maxTimeout: 20, maxRetryTime: 150 } });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    const started = Date.now();
    await t.flush();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1_000);
    expect(server.requests.length).toBeGreaterThan(2);
    expect(events.failed[0]).toMatchObject({ reason: 'retries-exhausted', status: 500 });
  });

  it('logs a 401 once through the logger however many events fail', async () => {
    const server = await scripted([{ status: 401, body: { detail: 'Invalid API key' } }]);
    const logger = captureLogger();
    const t = tracker({ baseUrl: server.url, logger });
    for (let i = 0; i < 5; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(t.stats().failed).toBe(5);
    const errors = logger.calls.filter((c) => c.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/401/);
    expect(errors[0]!.msg).toMatch(/Invalid API key/);
  });

  it('sends at most `concurrency` requests at once', async () => {
    let open = 0;
    let peak = 0;
    const server = await scripted(() => {
      open++;
      peak = Math.max(peak, open);
      setTimeout(() => open--, 30);
      return { delayMs: 30 };
    });
    const t = tracker({ baseUrl: server.url, concurrency: 2 });
    for (let i = 0; i < 6; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(server.requests).toHaveLength(6);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('never sends on the caller stack: track() returns before any request', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(t.stats()).toMatchObject({ queued: 1, inFlight: 0 });
    await waitFor(() => server.requests.length === 1);
  });
});
