import {
  API_KEY,
  captureLogger,
  onCleanup,
  record,
  scripted,
  TOKEN,
  thrown,
  tracker,
} from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { createTracker, type Tracker } from '../src/index.js';

const ACCESS_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.secret-payload.signature-part';

/** Everything a secret could end up in: log calls, emitted payloads, errors. */
function captureAll(t: Tracker<string>, logger: ReturnType<typeof captureLogger>) {
  const events = record(t);
  const stringify = () =>
    JSON.stringify({ logs: logger.calls, events }, (_k, v) =>
      v instanceof Error ? { ...v, name: v.name, message: v.message, stack: v.stack } : v,
    );
  return { events, stringify };
}

/** A server that echoes the credentials it received back in `detail` (and a header). */
async function echoServer(status: number) {
  return scripted((req) => ({
    status,
    headers: { 'x-echo': String(req.headers['x-api-key'] ?? req.headers.cookie ?? '') },
    body: { detail: `bad credentials: key=${req.headers['x-api-key']} cookie=${req.headers.cookie}` },
  }));
}

describe('secrets never leak', () => {
  it.each([401, 403, 500])(
    'keeps the API key out of logs and events on a %i that echoes it',
    async (status) => {
      const server = await echoServer(status);
      const logger = captureLogger();
      const t = tracker({
        baseUrl: server.url,
        logger,
        retry: { minTimeout: 5, maxTimeout: 10, retries: 2 },
      });
      const { events, stringify } = captureAll(t, logger);
      t.track({ meter: 'api_calls', customerId: 'acme' });
      t.track({ meter: 'api_calls', customerId: 'globex' });
      await t.flush();
      expect(server.requests[0]!.headers['x-api-key']).toBe(API_KEY);
      expect(events.failed).toHaveLength(2);
      expect(events.failed[0]!.detail).toContain('[redacted]');
      const captured = stringify();
      expect(captured).toContain('bad credentials');
      expect(captured).not.toContain(API_KEY);
    },
  );

  it('keeps the access token out of logs and events with the REST transport', async () => {
    const server = await echoServer(401);
    const logger = captureLogger();
    const t = tracker({
      baseUrl: server.url,
      apiKey: undefined,
      transport: 'rest',
      accessToken: ACCESS_TOKEN,
      logger,
    });
    const { stringify } = captureAll(t, logger);
    t.track({ meter: 'api_calls', customerId: 'cust_1' });
    await t.flush();
    expect(server.requests[0]!.headers.cookie).toBe(`access_token=${ACCESS_TOKEN}`);
    const captured = stringify();
    expect(captured).toContain('bad credentials');
    expect(captured).not.toContain(ACCESS_TOKEN);
  });

  it('keeps the API key out of retry events and logs while a 5xx echoing it is retried', async () => {
    const server = await scripted((req, index) =>
      index < 3
        ? { status: 503, body: { detail: `upstream saw ${req.headers['x-api-key']}` } }
        : { status: 201 },
    );
    const logger = captureLogger();
    const t = tracker({ baseUrl: server.url, logger });
    const { events, stringify } = captureAll(t, logger);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(events.retry).toHaveLength(3);
    expect(events.retry[0]!.error).toContain('upstream saw');
    expect(stringify()).not.toContain(API_KEY);
  });

  // Regression (fixed in src): src/transport.ts:31,36 cut the detail to 1 000 chars before src/tracker.ts:308,323 redact it, so a
  // key straddling the cut survives as a prefix (here 30 of its 35 characters) in logs and events.
  it('does not leak most of the key when the echo sits at the detail truncation boundary', async () => {
    // The detail is cut to 1 000 characters; redaction must happen before the cut, or a key straddling
    // the boundary survives as a long prefix that no longer matches the full secret.
    const server = await scripted((req) => ({
      status: 422,
      body: { detail: `${'x'.repeat(1_000 - 30)}${req.headers['x-api-key']}` },
    }));
    const logger = captureLogger();
    const t = tracker({ baseUrl: server.url, logger });
    const { stringify } = captureAll(t, logger);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(stringify()).not.toContain(API_KEY.slice(0, 24));
  });

  it('keeps the API key out of debug logging (skips, drops, shutdown)', async () => {
    const logger = captureLogger();
    const t = tracker({ logger, customerAllowList: ['acme'], maxQueueSize: 1 });
    const { stringify } = captureAll(t, logger);
    t.track({ meter: 'api_calls', customerId: 'globex' });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.reportError({ route: 'GET /x', reason: `user function threw: ${API_KEY}` });
    await t.shutdown({ timeoutMs: 100 });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(logger.calls.some((c) => c.level === 'debug')).toBe(true);
    expect(stringify()).not.toContain(API_KEY);
  });

  it('keeps the API key out of the process warning used when the logger has no error method', async () => {
    const server = await echoServer(401);
    const warnings: unknown[] = [];
    const onWarning = (w: Error) => warnings.push({ message: w.message, name: w.name });
    process.on('warning', onWarning);
    onCleanup(async () => void process.off('warning', onWarning));
    const t = tracker({ baseUrl: server.url, logger: {} });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    await new Promise((r) => setTimeout(r, 20));
    expect(JSON.stringify(warnings)).toContain('401');
    expect(JSON.stringify(warnings)).not.toContain(API_KEY);
  });

  it('keeps the API key and access token out of thrown configuration and validation errors', () => {
    const errors = [
      thrown(() => createTracker({ apiKey: API_KEY, baseUrl: 'ftp://x', meters: { api_calls: TOKEN } })),
      thrown(() => createTracker({ apiKey: API_KEY, baseUrl: 'http://example.com', meters: {} })),
      thrown(() => createTracker({ apiKey: API_KEY, accessToken: ACCESS_TOKEN, transport: 'x' as never })),
      thrown(() =>
        createTracker({ apiKey: API_KEY, meters: { a: { token: TOKEN, aggregation: 'X' as never } } }),
      ),
      thrown(() => createTracker({ apiKey: API_KEY, bogus: 1 } as never)),
      thrown(() =>
        createTracker({ apiKey: API_KEY, accessToken: ACCESS_TOKEN, transport: 'rest', timeoutMs: -1 }),
      ),
      thrown(() => tracker().track({ meter: 'nope', customerId: 'acme' })),
    ];
    const text = JSON.stringify(errors.map((e) => ({ message: e.message, stack: e.stack, ...e })));
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(ACCESS_TOKEN);
  });

  it('keeps a secret passed as an unknown option out of the error', () => {
    const error = thrown(() => createTracker({ apiKey: API_KEY, apikey: API_KEY } as never));
    expect(JSON.stringify({ message: error.message, ...error })).not.toContain(API_KEY);
  });

  it('redacts the key from a 500 detail in the failed event once retries run out', async () => {
    const server = await echoServer(500);
    const t = createTracker({
      apiKey: API_KEY,
      baseUrl: server.url,
      meters: { api_calls: TOKEN },
      retry: { minTimeout: 5, maxTimeout: 10, retries: 1 },
    });
    onCleanup(() => t.shutdown({ timeoutMs: 100 }));
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(events.failed[0]).toMatchObject({ reason: 'retries-exhausted', status: 500 });
    expect(events.failed[0]!.detail).not.toContain(API_KEY);
  });
});
