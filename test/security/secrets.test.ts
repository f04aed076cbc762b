import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTracker } from '@fluxrate/core';
import { fluxrateMiddleware } from '@fluxrate/express';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import {
  type CapturedWarning,
  captureEvents,
  captureLogger,
  captureWarnings,
  serialize,
  thrown,
} from '@fluxrate/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const KEY = 'org_live_SECRET_9f8e7d6c5b4a39281706';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.SECRET_JWT_PAYLOAD.c2lnbmF0dXJl';
const METER = '550e8400-e29b-41d4-a716-446655440000';

/** A server that answers with `status` and echoes the credentials it received in `detail`. */
async function startEchoServer(status: number): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          detail: `invalid credentials: X-API-Key=${req.headers['x-api-key'] ?? ''} cookie=${req.headers.cookie ?? ''}`,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits: () => hits };
}

describe('secrets never leak: API key and access token', () => {
  // Every test's FLUXRATE_ warnings, captured (asserted here, not printed), searched for secrets.
  let warnings: CapturedWarning[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'fluxrate-secrets-'));
  let fx: LocalServer;
  beforeAll(async () => {
    fx = await startLocalServer({
      meters: { api_calls: { token: METER } },
      apiKeys: ['org_live_the_right_key_000000', { key: KEY, scopes: ['usage.read'] }],
      accessTokens: ['the-right-token'],
    });
  });
  afterAll(async () => {
    await fx.close();
  });
  beforeEach(() => {
    warnings = captureWarnings().all;
  });

  /** Runs one event through a tracker and collects every surface, then checks none holds a secret. */
  async function exercise(options: Record<string, unknown>, withErrorLogger = true) {
    const logger = captureLogger();
    const deadLetter = join(dir, `${Math.random().toString(36).slice(2)}.ndjson`);
    const tracker = createTracker({
      meters: { api_calls: METER },
      retry: { minTimeout: 5, maxTimeout: 20, retries: 2 },
      logger: withErrorLogger ? logger : { debug: logger.debug, info: logger.info, warn: logger.warn },
      deadLetter: { file: deadLetter },
      ...options,
    });
    const events = captureEvents(tracker);
    const thrown: unknown[] = [];
    try {
      tracker.track({ meter: 'api_calls', customerId: 'acme', metadata: { note: 'hello' } });
      await tracker.flush({ timeoutMs: 5_000 });
    } catch (error) {
      thrown.push(error);
    }
    const report = await tracker.shutdown({ timeoutMs: 1_000 });
    await new Promise((resolve) => setImmediate(resolve));
    const text = [
      logger.text(),
      serialize(events),
      serialize(warnings),
      serialize(thrown),
      serialize(report),
      readFileSync(deadLetter, 'utf8'),
    ].join('\n');
    return { text, events, logger, deadLetter: readFileSync(deadLetter, 'utf8') };
  }

  it('on a 401 (unknown key): the failure is logged and dead-lettered, the key appears nowhere', async () => {
    const { text, events } = await exercise({
      apiKey: 'org_live_SECRET_unknown_key_123456',
      baseUrl: fx.url,
    });
    expect(events.some((e) => e.name === 'failed' && (e.payload as { status: number }).status === 401)).toBe(
      true,
    );
    expect(text).toContain('401');
    expect(text).not.toContain('org_live_SECRET_unknown_key_123456');
  });

  it('on a 403 (key without usage.write scope), also through process warnings when the logger has no error()', async () => {
    const { text, events } = await exercise({ apiKey: KEY, baseUrl: fx.url }, false);
    expect(events.some((e) => e.name === 'failed' && (e.payload as { status: number }).status === 403)).toBe(
      true,
    );
    expect(warnings.length).toBeGreaterThan(0);
    expect(text).not.toContain(KEY);
  });

  it('when the server echoes the key in detail (non-retryable 400): redacted everywhere', async () => {
    const echo = await startEchoServer(400);
    try {
      const { text, events } = await exercise({ apiKey: KEY, baseUrl: echo.url });
      const failed = events.find((e) => e.name === 'failed')?.payload as { detail: string };
      // The server did echo it: the detail arrived, with the key replaced.
      expect(failed.detail).toContain('[redacted]');
      expect(text).not.toContain(KEY);
    } finally {
      echo.server.close();
    }
  });

  it('when the server echoes the key on retryable 503s: retry events and the final failure are redacted', async () => {
    const echo = await startEchoServer(503);
    try {
      const { text, events } = await exercise({ apiKey: KEY, baseUrl: echo.url });
      expect(echo.hits()).toBeGreaterThanOrEqual(3);
      expect(events.filter((e) => e.name === 'retry').length).toBeGreaterThanOrEqual(2);
      expect(text).toContain('[redacted]');
      expect(text).not.toContain(KEY);
    } finally {
      echo.server.close();
    }
  });

  it('the REST access token: a 401 from the local server and an echoing server never show it', async () => {
    const local = await exercise({ transport: 'rest', accessToken: TOKEN, baseUrl: fx.url });
    expect(local.events.some((e) => e.name === 'failed')).toBe(true);
    expect(local.text).not.toContain(TOKEN);
    const echo = await startEchoServer(401);
    try {
      const echoed = await exercise({ transport: 'rest', accessToken: TOKEN, baseUrl: echo.url });
      expect(echoed.text).toContain('[redacted]');
      expect(echoed.text).not.toContain(TOKEN);
    } finally {
      echo.server.close();
    }
  });

  it('thrown configuration errors never echo the key or token', () => {
    const attempts: (() => unknown)[] = [
      () => createTracker({ apiKey: KEY, baseUrl: 'http://api.example.com' }),
      () => createTracker({ apiKey: KEY, baseUrl: `https://user:${KEY}@api.example.com` }),
      () => createTracker({ apiKey: KEY, maxQueueSize: -1 }),
      () => createTracker({ apiKey: KEY, meters: { api_calls: KEY.repeat(20) } }),
      () => createTracker({ transport: 'rest', accessToken: TOKEN, baseUrl: 'http://api.example.com' }),
      () => fluxrateMiddleware({ apiKey: KEY, customer: 'acme' as never }),
    ];
    for (const attempt of attempts) {
      const error = thrown(attempt);
      expect(error).toBeInstanceOf(Error);
      expect(serialize(error)).not.toContain(KEY);
      expect(serialize(error)).not.toContain(TOKEN);
    }
  });

  // Fails on the main of 2026-12-01: a key pasted into FLUXRATE_BASE_URL was printed (its first 40
  // characters, or the part before a colon as the "protocol").
  it('a key pasted into FLUXRATE_BASE_URL is never echoed, also through an adapter', () => {
    const saved = process.env.FLUXRATE_BASE_URL;
    const attempts: (() => unknown)[] = [
      () => createTracker({ apiKey: KEY, meters: { api_calls: METER } }),
      () => fluxrateMiddleware({ apiKey: KEY, meters: { api_calls: METER }, customer: () => 'acme' }),
    ];
    try {
      for (const pasted of [KEY, `${KEY}:443`, `https//${KEY}`, KEY.slice(0, 30)]) {
        process.env.FLUXRATE_BASE_URL = pasted;
        for (const attempt of attempts) {
          const error = thrown(attempt);
          expect(error).toBeInstanceOf(Error);
          expect(serialize(error)).toContain('baseUrl');
          expect(serialize(error)).not.toContain(KEY.slice(0, 20));
        }
      }
    } finally {
      if (saved === undefined) delete process.env.FLUXRATE_BASE_URL;
      else process.env.FLUXRATE_BASE_URL = saved;
    }
  });

  // Regression: track() used to echo a rejected field value verbatim, so a key passed by mistake as
  // the meter or customer showed up in the FluxrateValidationError; validation messages are now redacted.
  it('does not echo a key passed by mistake as a track() field in the validation error', () => {
    const tracker = createTracker({ apiKey: KEY, meters: { api_calls: METER }, disabled: true });
    let error: unknown;
    try {
      tracker.track({ meter: KEY as never, customerId: 'a' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(serialize(error)).not.toContain(KEY);
  });
});
