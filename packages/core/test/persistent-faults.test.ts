import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  API_KEY,
  captureLogger,
  captureWarnings,
  localhostCert,
  record,
  sleep,
  tracker,
} from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FluxrateConfigError } from '../src/index.js';

/** The FLUXRATE_ warnings raised during the current test (captured, not printed). */
const capturedWarnings = () => captureWarnings().all;

const RETRIES = 4;
const retry = { minTimeout: 5, maxTimeout: 10, retries: RETRIES };

describe('errors retrying cannot fix are logged at their first occurrence', () => {
  let url: string;
  let hits = 0;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const server = createServer(localhostCert(), (_req, res) => {
      hits++;
      res.writeHead(201).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
  });

  // Fails on the main of 2026-12-01: an untrusted certificate was retried silently (only `retry` events).
  it('logs an untrusted TLS certificate once at error level, counts every attempt and keeps retrying', async () => {
    const logger = captureLogger();
    const t = tracker({ baseUrl: url, logger, retry });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.track({ meter: 'api_calls', customerId: 'globex' });
    await t.flush({ timeoutMs: 10_000 });
    const errors = logger.calls.filter((c) => c.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/TLS certificate .* not trusted/);
    expect(errors[0]!.obj).toMatchObject({ fault: 'tls' });
    expect(String((errors[0]!.obj as { error: string }).error)).toMatch(/SELF_SIGNED|self.signed/i);
    // Retrying went on: every attempt of both events was made and counted.
    expect(events.retry).toHaveLength(2 * RETRIES);
    expect(t.stats().persistentFaults).toEqual({ tls: 2 * (RETRIES + 1), header: 0, dns: 0, proxy: 0 });
    expect(events.failed.map((f) => f.reason)).toEqual(['retries-exhausted', 'retries-exhausted']);
    expect(hits).toBe(0);
  });

  it('raises it once as a process warning when the logger has no error method', async () => {
    const warnings = capturedWarnings();
    const t = tracker({ baseUrl: url, logger: {}, retry });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    await sleep(20);
    const mine = warnings.filter((w) => (w as { code?: string }).code === 'FLUXRATE_TLS_FAULT');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.message).toContain('NODE_EXTRA_CA_CERTS');
  });

  // Fails on the main of 2026-12-01: a host that does not resolve was retried with no log line.
  it('logs a host name that does not resolve (ENOTFOUND) once, and counts it', async () => {
    const logger = captureLogger();
    const t = tracker({ baseUrl: 'https://fluxrate-node-test.invalid', logger, retry });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    const errors = logger.calls.filter((c) => c.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.obj).toMatchObject({ fault: 'dns' });
    expect(errors[0]!.msg).toContain('does not resolve');
    expect(t.stats().persistentFaults.dns).toBe(RETRIES + 1);
  });

  // Fails on the main of 2026-12-01: a key undici refuses as a header value failed every attempt silently.
  // Since issue 27 the one credential rule refuses it at construction: no attempt, no header fault.
  it('refuses an API key that is not a valid header value at construction, without echoing it', () => {
    const logger = captureLogger();
    const apiKey = `${API_KEY}ключ`;
    let error: unknown;
    try {
      tracker({ baseUrl: url, apiKey, logger, retry });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect((error as FluxrateConfigError).option).toBe('apiKey');
    expect((error as Error).message).not.toContain(API_KEY);
    expect(logger.calls).toEqual([]);
  });
});
