import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_KEY,
  captureLogger,
  captureWarnings,
  FAST_RETRY,
  onCleanup,
  record,
  scripted,
  sleep,
  TOKEN,
  thrown,
  tracker,
} from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import type { AdapterTracker } from '../src/contracts/adapter-tracker.js';
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
    (t as AdapterTracker).reportError({ route: 'GET /x', reason: `user function threw: ${API_KEY}` });
    await t.shutdown({ timeoutMs: 100 });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(logger.calls.some((c) => c.level === 'debug')).toBe(true);
    expect(stringify()).not.toContain(API_KEY);
  });

  it('keeps the API key out of the process warning used when the logger has no error method', async () => {
    const server = await echoServer(401);
    const warnings = captureWarnings().all;
    const t = tracker({ baseUrl: server.url, logger: {} });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    await sleep(20);
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

/** A key with the characters servers escape: base64's + / =, a quote and a backslash. */
const HARD_KEY = 'org_live_S3cr3tK3y+w1th/Slash=And"Quote\\Back9876';
/** Every 8-character window of the key's secret part: none may survive anywhere. */
const FRAGMENTS = (() => {
  const secret = HARD_KEY.slice('org_live_'.length);
  const forms = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)];
  return forms.flatMap((f) => Array.from({ length: f.length - 7 }, (_, i) => f.slice(i, i + 8)));
})();

/** Python's json.dumps(ensure_ascii) style: every character outside [A-Za-z0-9 ] as \u00XX. */
const uEscape = (text: string) =>
  [...text]
    .map((c) => (/[A-Za-z0-9 ]/.test(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
    .join('');

/** Ways a server echoes the key it received; each is a raw response body. */
const ECHOES: [string, number, (key: string) => string][] = [
  [
    'JSON-escaped in a list detail (422)',
    422,
    (k) => JSON.stringify({ detail: [{ loc: ['header', 'x-api-key'], msg: 'invalid', input: k }] }),
  ],
  [
    'JSON-escaped in an object detail (503)',
    503,
    (k) => JSON.stringify({ detail: { headers: { 'x-api-key': k } } }),
  ],
  [
    'with "/" escaped as "\\/" (PHP style)',
    400,
    (k) => JSON.stringify({ detail: `bad key ${k}` }).replace(/\//g, '\\/'),
  ],
  ['\\u-escaped (ensure_ascii style)', 401, (k) => `{"detail": "bad key ${uEscape(k)}"}`],
  [
    'URL-encoded',
    404,
    (k) => JSON.stringify({ detail: `GET /callback?key=${encodeURIComponent(k)} not found` }),
  ],
  ['cut by the server inside the key', 422, (k) => JSON.stringify({ detail: `bad key ${k.slice(0, 30)}` })],
  [
    'across the 1 000-character cut of detail',
    422,
    (k) => JSON.stringify({ detail: `${'x'.repeat(985)}${k}` }),
  ],
  [
    'across the 8 KiB body prefix',
    422,
    (k) => `{"detail":"${'x'.repeat(8_192 - 30)}${JSON.stringify(k).slice(1, -1)}"}`,
  ],
  ['in a body that is not JSON', 502, (k) => `<html>upstream rejected X-API-Key: ${k}</html>`],
];

describe('secrets never leak, in every form a server may echo them', () => {
  // Fails on the main of 2026-12-01 for the escaped, \u, URL-encoded, server-cut and prefix-cut forms.
  it.each(ECHOES)(
    'redacts the key echoed %s from logs, events, the dead-letter file and warnings',
    async (label, status, echo) => {
      const server = await scripted((req) => ({ status, body: echo(String(req.headers['x-api-key'])) }));
      const dir = mkdtempSync(join(tmpdir(), 'fluxrate-redact-'));
      onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
      const deadLetter = join(dir, 'dead.ndjson');
      const warnings = captureWarnings().all;
      const logger = captureLogger();
      const t = tracker({
        baseUrl: server.url,
        apiKey: HARD_KEY,
        logger,
        deadLetter: { file: deadLetter },
        retry: { ...FAST_RETRY, retries: 1 },
      });
      // A second tracker with no logger surfaces its problems as process warnings.
      const quiet = tracker({ baseUrl: server.url, apiKey: HARD_KEY, retry: { ...FAST_RETRY, retries: 1 } });
      const { events, stringify } = captureAll(t, logger);
      t.track({ meter: 'api_calls', customerId: 'acme' });
      quiet.track({ meter: 'api_calls', customerId: 'acme' });
      await Promise.all([t.flush({ timeoutMs: 5_000 }), quiet.flush({ timeoutMs: 5_000 })]);
      await t.shutdown({ timeoutMs: 1_000 });
      await new Promise((resolve) => setImmediate(resolve));
      expect(server.requests[0]!.headers['x-api-key']).toBe(HARD_KEY);
      expect(events.failed).toHaveLength(1);
      const surfaces = `${stringify()}\n${readFileSync(deadLetter, 'utf8')}\n${warnings.map((w) => `${w.code} ${w.message}`).join('\n')}`;
      for (const fragment of FRAGMENTS) expect(surfaces).not.toContain(fragment);
      // Past the 8 KiB prefix and the 1 000-character cut, that echo is never read at all.
      if (!label.includes('8 KiB')) expect(surfaces).toContain('[redacted]');
    },
  );

  // Fails on the main of 2026-12-01: credentials in a URL a server echoed reached the logs.
  it('redacts the userinfo of any URL echoed in a detail', async () => {
    const server = await scripted([
      { status: 422, body: { detail: 'proxy https://admin:hunter2-pass@proxy.internal/x refused' } },
    ]);
    const logger = captureLogger();
    const t = tracker({ baseUrl: server.url, logger });
    const { events, stringify } = captureAll(t, logger);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(events.failed[0]!.detail).toBe('proxy https://[redacted]@proxy.internal/x refused');
    expect(stringify()).not.toContain('hunter2');
  });
});
