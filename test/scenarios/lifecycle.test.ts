// The request's life, written once and run through every adapter: streams, aborts, errors after
// headers, double application, late usage and hold(), close(), an outage.
import type { RequestOutcome } from '@fluxrate/core';
import { sleep, waitFor } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { abort, send } from './support/client.js';
import type { AppDef, View } from './support/model.js';
import { EACH, useFluxrate } from './support/suite.js';

/** A global `when` that records every outcome and keeps the default rule. */
function recorder() {
  const seen: RequestOutcome[] = [];
  const when = (v: View) => {
    seen.push(v.outcome);
    return v.outcome.finished && !v.outcome.aborted && !v.outcome.failed && v.outcome.status < 400;
  };
  return { seen, when };
}

/** `send` for responses that may be cut off: resolves with the status, or `'cut off'`. */
const sendLoose = (url: string, path: string) =>
  send(url, path).then(
    (r) => r.status,
    () => 'cut off' as const,
  );

describe.each(EACH)('%s', (_name, driver) => {
  const h = useFluxrate();
  const start = (def: AppDef) => h.start(driver, def);

  describe('streams and aborts', () => {
    it('bills a streamed response once it has finished, with the usage added while streaming', async () => {
      const app = await start({
        routes: [
          {
            method: 'GET',
            path: '/v1/stream',
            billable: 'tokens',
            do: { kind: 'stream', chunks: 5, everyMs: 2, usagePerChunk: 10 },
          },
        ],
      });
      const res = await send(app.url, '/v1/stream');
      expect(res.body.split('\n')).toHaveLength(6);
      await app.settled(1);
      expect(h.billed()).toEqual(['acme tokens 50']);
    });

    it('a client abort mid-stream reaches `when` as aborted: true and is not billed by default', async () => {
      const { seen, when } = recorder();
      const app = await start({
        options: { when },
        routes: [
          {
            method: 'GET',
            path: '/v1/stream',
            billable: 'tokens',
            do: { kind: 'stream', chunks: 500, everyMs: 2, usagePerChunk: 1 },
          },
        ],
      });
      await abort(app.url, '/v1/stream', { afterFirstChunk: true });
      await app.settled(1);
      expect(seen).toEqual([
        expect.objectContaining({ aborted: true, finished: false, route: '/v1/stream' }),
      ]);
      expect(h.fx.events()).toHaveLength(0);
      expect(app.tracker.stats().tracked).toBe(0);
    });

    it('recipe: `when: ({ outcome }) => outcome.aborted || …` bills the usage an aborted stream added so far', async () => {
      const app = await start({
        routes: [
          {
            method: 'GET',
            path: '/v1/stream',
            billable: { meter: 'tokens', when: (v) => v.outcome.aborted || v.outcome.status < 400 },
            do: { kind: 'stream', chunks: 500, everyMs: 2, usagePerChunk: 1 },
          },
        ],
      });
      await abort(app.url, '/v1/stream', { afterFirstChunk: true });
      await app.settled(1);
      const events = h.fx.events();
      expect(events).toHaveLength(1);
      expect(events[0]!.quantity).toBeGreaterThan(0);
      expect(events[0]!.quantity).toBeLessThan(500);
    });

    it('a client abort before the response reaches `when` as aborted: true and is not billed', async () => {
      const { seen, when } = recorder();
      const app = await start({
        options: { when },
        routes: [{ method: 'GET', path: '/v1/slow', billable: 'api_calls', do: { kind: 'slow', ms: 150 } }],
      });
      await abort(app.url, '/v1/slow', { ms: 30 });
      await app.settled(1);
      // The same route completes normally on a fresh connection and is billed.
      expect((await send(app.url, '/v1/slow')).status).toBe(200);
      await app.settled(2);
      expect(seen.map((o) => o.aborted)).toEqual([true, false]);
      expect(h.billed()).toEqual(['acme api_calls 1']);
    });
  });

  describe('errors after headers', () => {
    it.each([
      { via: 'throw' as const, what: 'a handler that throws after writing', table: false },
      { via: 'stream' as const, what: 'a stream (or @Sse Observable) that errors mid-way', table: false },
      // Billed through the routes table only (Nest: the failure reaches billing through the global capture).
      { via: 'throw' as const, what: 'a routes-table route that throws after writing', table: true },
      { via: 'stream' as const, what: 'a routes-table stream that errors mid-way', table: true },
    ])('$what is not billed; `when` sees it aborted or failed', async ({ via, table }) => {
      const { seen, when } = recorder();
      const app = await start({
        options: table ? { when, routes: { 'GET /v1/partial': 'api_calls' } } : { when },
        routes: [
          {
            method: 'GET',
            path: '/v1/partial',
            billable: table ? undefined : 'api_calls',
            do: { kind: 'failAfterHeaders', via },
          },
        ],
      });
      await sendLoose(app.url, '/v1/partial');
      await app.settled(1);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.aborted || seen[0]!.failed).toBe(true);
      expect(h.fx.events()).toHaveLength(0);
    });
  });

  it('applied twice (nested app, child context, global + @UseInterceptors + a second module import) bills once', async () => {
    const app = await start({
      twice: true,
      routes: [{ method: 'GET', path: '/v1/search', billable: 'api_calls', do: { kind: 'json' } }],
    });
    const res = await send(app.url, '/v1/search');
    await app.settled(1);
    expect(h.fx.events()).toEqual([
      expect.objectContaining({ idempotencyKey: `req_${res.json().id}_api_calls` }),
    ]);
  });

  describe('late usage', () => {
    it('usage added after the event was tracked is reported, naming the route, and not billed', async () => {
      const app = await start({
        routes: [
          {
            method: 'POST',
            path: '/v1/chat',
            billable: 'tokens',
            do: { kind: 'lateUsage', n: 42, afterMs: 20, hold: false, release: false },
          },
        ],
      });
      await send(app.url, '/v1/chat', { method: 'POST' });
      await app.settled(1);
      await waitFor(() => app.errors.length > 0, 5_000, 'the late-usage error');
      expect(app.errors).toEqual([
        expect.objectContaining({
          route: 'POST /v1/chat',
          meter: 'tokens',
          reason: expect.stringMatching(/reported after the event was tracked/),
        }),
      ]);
      // The route's own quantity: the usage was not there when the event was tracked.
      expect(h.billed()).toEqual(['acme tokens 1']);
    });

    it('hold() keeps the event open until done(): the late usage is billed', async () => {
      const app = await start({
        routes: [
          {
            method: 'POST',
            path: '/v1/chat',
            billable: 'tokens',
            do: { kind: 'lateUsage', n: 42, afterMs: 30, hold: true, release: true },
          },
        ],
      });
      await send(app.url, '/v1/chat', { method: 'POST' });
      await app.settled(1);
      expect(app.tracker.stats().tracked).toBe(0);
      await waitFor(() => app.tracker.stats().tracked === 1, 5_000, 'the held event');
      await app.tracker.flush();
      expect(h.billed()).toEqual(['acme tokens 42']);
      expect(app.errors).toEqual([]);
    });

    it('a hold() not released within holdTimeoutMs bills what was added and reports the route', async () => {
      const app = await start({
        options: { holdTimeoutMs: 80 },
        routes: [
          {
            method: 'POST',
            path: '/v1/chat',
            billable: 'tokens',
            do: { kind: 'lateUsage', n: 42, afterMs: 10, hold: true, release: false },
          },
        ],
      });
      await send(app.url, '/v1/chat', { method: 'POST' });
      await waitFor(() => app.tracker.stats().tracked === 1, 5_000, 'the event at the hold deadline');
      await app.tracker.flush();
      expect(h.billed()).toEqual(['acme tokens 42']);
      expect(app.errors).toEqual([
        expect.objectContaining({
          route: 'POST /v1/chat',
          reason: expect.stringMatching(/hold\(\) still open 80 ms/),
        }),
      ]);
    });
  });

  describe('close()', () => {
    it('bills requests still held, then shuts down a tracker the adapter created', async () => {
      const app = await start({
        ownTracker: true,
        routes: [
          {
            method: 'POST',
            path: '/v1/chat',
            billable: 'tokens',
            do: { kind: 'lateUsage', n: 5, afterMs: 1, hold: true, release: false },
          },
        ],
      });
      await send(app.url, '/v1/chat', { method: 'POST' });
      await sleep(20);
      expect(app.tracker.stats().tracked).toBe(0);
      await app.close();
      expect(app.tracker.closed).toBe(true);
      expect(h.billed()).toEqual(['acme tokens 5']);
      expect(app.errors).toEqual([
        expect.objectContaining({ reason: expect.stringMatching(/at close\(\)/) }),
      ]);
    });

    it("the app's tracker.shutdown() bills requests still held, reports each route and counts them in its report", async () => {
      const app = await start({
        routes: [
          {
            method: 'POST',
            path: '/v1/chat',
            billable: 'tokens',
            do: { kind: 'lateUsage', n: 11, afterMs: 1, hold: true, release: false },
          },
        ],
      });
      await send(app.url, '/v1/chat', { method: 'POST' });
      await sleep(20);
      expect(app.tracker.stats().tracked).toBe(0);
      const report = await app.tracker.shutdown({ timeoutMs: 2_000 });
      expect(report).toEqual({ delivered: 1, failed: 0, dropped: 0, pending: [], openHolds: 1 });
      expect(h.billed()).toEqual(['acme tokens 11']);
      expect(app.errors).toEqual([
        expect.objectContaining({
          route: 'POST /v1/chat',
          reason: 'hold() still open at shutdown(); billed the usage added so far',
        }),
      ]);
    });

    it('flushes a tracker it was given, within shutdownTimeoutMs, and leaves it running', async () => {
      const app = await start({
        options: { shutdownTimeoutMs: 2_000 },
        routes: [{ method: 'GET', path: '/v1/search', billable: 'api_calls', do: { kind: 'json' } }],
      });
      await send(app.url, '/v1/search');
      await app.settled(1);
      await app.close();
      expect(app.tracker.closed).toBe(false);
      expect(h.billed()).toEqual(['acme api_calls 1']);
      await app.tracker.shutdown({ timeoutMs: 1_000 });
    });
  });

  it('keeps answering during a Fluxrate outage and delivers every event once it is back', async () => {
    const app = await start({
      routes: [{ method: 'GET', path: '/v1/search', billable: 'api_calls', do: { kind: 'json' } }],
    });
    await h.fx.suspend();
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      expect((await send(app.url, '/v1/search')).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    await waitFor(() => app.tracker.stats().retried >= 1, 5_000, 'a retry during the outage');
    await h.fx.resume();
    await app.settled(3);
    expect(h.fx.events()).toHaveLength(3);
    expect(app.tracker.stats()).toMatchObject({ delivered: 3, failed: 0, dropped: 0 });
  });
});
