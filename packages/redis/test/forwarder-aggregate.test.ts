import { createTracker, FluxrateConfigError, type Tracker } from '@fluxrate/core';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { type RedisServer, redisSkipReason, startRedis, waitFor } from '@fluxrate/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeEntry } from '../src/codec.js';
import { runCli } from '../src/forwarder-cli.js';
import { type Forwarder, redisOutbox, startForwarder } from '../src/index.js';

const skip = redisSkipReason();

describe('startForwarder({ aggregate }) options', () => {
  it('refuses a takeover idle time not longer than a window, naming the option', () => {
    const start = () =>
      startForwarder({
        outbox: { redis: 'redis://127.0.0.1:1', claimIdleMs: 1_500 },
        aggregate: { windowMs: 1_000 },
      });
    expect(start).toThrow(FluxrateConfigError);
    expect(start).toThrow(/outbox\.claimIdleMs.*at least aggregate\.windowMs \+ 1000 \(2000 ms\), got 1500/);
  });

  it('refuses a window under 100 ms and a non-positive maxInputs', () => {
    const outbox = { redis: 'redis://127.0.0.1:1' };
    expect(() => startForwarder({ outbox, aggregate: { windowMs: 50 } })).toThrow(/aggregate\.windowMs/);
    expect(() => startForwarder({ outbox, aggregate: { windowMs: 500, maxInputs: 0 } })).toThrow(
      /aggregate\.maxInputs/,
    );
  });
});

describe('fluxrate-forwarder --aggregate arguments', () => {
  const cli = async (...args: string[]) => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const code = await runCli(['--redis', 'redis://127.0.0.1:1', ...args]);
      return { code, message: errors.mock.calls.map((c) => String(c[0])).join('\n') };
    } finally {
      errors.mockRestore();
    }
  };

  it('exits 2 with a clear message when --claim-idle is not longer than the window', async () => {
    const { code, message } = await cli('--aggregate', '1000', '--claim-idle', '1500');
    expect(code).toBe(2);
    expect(message).toMatch(/claimIdleMs.*--claim-idle > --aggregate/);
  });

  it('exits 2 for a window under 100 ms, and for --aggregate-max-inputs alone', async () => {
    expect(await cli('--aggregate', '50')).toMatchObject({
      code: 2,
      message: /--aggregate expects an integer >= 100/,
    });
    expect(await cli('--aggregate-max-inputs', '10')).toMatchObject({
      code: 2,
      message: /--aggregate-max-inputs needs --aggregate/,
    });
  });
});

const METERS = {
  api_calls: {},
  peak: { aggregation: 'MAX' as const },
  level: { aggregation: 'LAST' as const },
  users: { aggregation: 'UNIQUE_COUNT' as const },
};

describe.skipIf(skip)(
  'fluxrate-forwarder --aggregate against a real redis-server and @fluxrate/local',
  () => {
    let server: RedisServer;
    let admin: Redis;
    let fx: LocalServer;
    let n = 0;
    const forwarders: Forwarder[] = [];

    beforeAll(async () => {
      server = await startRedis();
      admin = new Redis(server.url);
      fx = await startLocalServer({ meters: METERS, faults: { 503: 0.3 }, seed: 18 });
    });
    afterAll(async () => {
      for (const f of forwarders) await f.stop(1_000).catch(() => undefined);
      admin?.disconnect();
      await fx?.close();
      await server?.close();
    });

    const meters = () => ({
      api_calls: fx.meters.api_calls!.token,
      peak: { token: fx.meters.peak!.token, aggregation: 'MAX' as const },
      level: { token: fx.meters.level!.token, aggregation: 'LAST' as const },
      users: { token: fx.meters.users!.token, aggregation: 'UNIQUE_COUNT' as const },
    });
    const forwarder = (stream: string, windowMs?: number) => {
      const f = startForwarder({
        outbox: { redis: server.url, stream, claimIdleMs: windowMs ? windowMs + 5_000 : 5_000, prefetch: 64 },
        tracker: { apiKey: fx.apiKey, baseUrl: fx.url, retry: { minTimeout: 5, maxTimeout: 50 } },
        ...(windowMs ? { aggregate: { windowMs } } : {}),
      });
      forwarders.push(f);
      return f;
    };
    /** Tracks a mix for `customer`; returns the totals Fluxrate must end with, per meter. */
    const trackMix = (app: Tracker, customer: string) => {
      const base = Date.now() - 10_000;
      let sum = 0;
      let max = 0;
      for (let i = 0; i < 400; i++) {
        const quantity = (i % 3) + 1;
        sum += quantity;
        app.track({ meter: 'api_calls', customerId: customer, quantity });
      }
      // A caller's key is never merged: it reaches Fluxrate as it is, dedupable across windows.
      for (let i = 0; i < 30; i++) {
        sum += 2;
        app.track({
          meter: 'api_calls',
          customerId: customer,
          quantity: 2,
          idempotencyKey: `${customer}-order-${i}`,
        });
      }
      for (let i = 0; i < 100; i++) {
        const quantity = ((i * 37) % 91) + 1;
        max = Math.max(max, quantity);
        app.track({ meter: 'peak', customerId: customer, quantity });
      }
      for (let i = 0; i < 100; i++) {
        app.track({
          meter: 'level',
          customerId: customer,
          quantity: i + 1,
          timestamp: new Date(base + i * 7),
        });
      }
      for (let i = 0; i < 200; i++) {
        app.track({ meter: 'users', customerId: customer, quantity: 1, metadata: { user_id: `u${i % 17}` } });
      }
      return { api_calls: sum, peak: max, level: 100, users: 17, events: 830 };
    };
    const totals = (customer: string) =>
      Object.fromEntries(
        fx
          .usage()
          .filter((u) => u.customer === customer)
          .map((u) => [u.meter, u.total]),
      );
    const appendAll = async (stream: string, customers: string[]) => {
      const app = createTracker({
        apiKey: fx.apiKey,
        baseUrl: fx.url,
        meters: meters(),
        outbox: redisOutbox({ redis: server.url, stream, consume: false }),
      });
      const expected = customers.map((c) => trackMix(app, c));
      await app.shutdown(); // every event confirmed by Redis
      return expected;
    };

    it('bills exactly per meter rule (SUM, MAX, LAST, UNIQUE_COUNT) with far fewer Fluxrate calls than events', async () => {
      const stream = `fwdagg:${++n}`;
      const customers = ['acme', 'beta', 'gamma'];
      const expected = await appendAll(stream, customers);
      const requestsBefore = fx.stats().requests;
      const f = forwarder(stream, 300);
      await waitFor(async () => {
        const s = await f.stats();
        return s.redis?.streamLength === 0 && s.redis.pending === 0 && s.inFlight === 0;
      }, 30_000);
      const stats = await f.stats();
      customers.forEach((c, i) => {
        const { events: _, ...want } = expected[i]!;
        expect(totals(c)).toEqual(want);
      });
      const inputs = expected.reduce((sum, e) => sum + e.events, 0);
      const calls = fx.stats().requests - requestsBefore;
      const stored = customers.reduce((sum, c) => sum + fx.events({ customer: c }).length, 0);
      console.log(
        `[fwdagg] ${inputs} events -> ${stored} stored (${stats.aggregate!.aggregates} aggregates in ${stats.aggregate!.windows} windows) ` +
          `in ${calls} Fluxrate calls (30% 503s)`,
      );
      expect(stats.aggregate!.inputs).toBe(inputs - 90); // the caller-keyed events bypass it
      expect(stored).toBeLessThan(inputs / 5);
      // Each caller key stored once, as sent.
      const keys = new Set(fx.events({ customer: 'acme' }).map((e) => e.idempotencyKey));
      for (let i = 0; i < 30; i++) expect(keys.has(`acme-order-${i}`)).toBe(true);
      // Every stored record has its own key: nothing stored twice.
      const all = customers.flatMap((c) => fx.events({ customer: c }).map((e) => e.idempotencyKey));
      expect(new Set(all).size).toBe(all.length);
    }, 40_000);

    it('on stop, closes its open windows into aggregate entries that another consumer delivers', async () => {
      const stream = `fwdagg:${++n}`;
      const expected = await appendAll(stream, ['delta']);
      // A window of an hour: nothing closes before stop().
      const f = forwarder(stream, 3_600_000);
      await waitFor(async () => (await f.stats()).aggregate!.inputs === 800, 10_000);
      // Only the caller-keyed events go out (through 503s and their retries).
      await waitFor(async () => (await f.stats()).delivered === 30, 10_000);
      expect(fx.events({ customer: 'delta' })).toHaveLength(30);
      await f.stop(5_000);
      // The stream now holds exactly the aggregates, unflagged, unread: one per group (1 + 1 + 1 + 17 users,
      // a few more if the events straddled an hour boundary).
      const { aggregate } = await f.stats();
      const entries = await admin.xrange(stream, '-', '+');
      expect(entries).toHaveLength(aggregate!.aggregates);
      expect(entries.length).toBeGreaterThanOrEqual(20);
      expect(entries.length).toBeLessThanOrEqual(24);
      expect(entries.every(([, fields]) => decodeEntry(fields)!.aggregation === undefined)).toBe(true);
      const plain = forwarder(stream);
      await waitFor(async () => {
        const s = await plain.stats();
        return s.redis?.streamLength === 0 && s.redis.pending === 0 && s.inFlight === 0;
      }, 20_000);
      const { events: _, ...want } = expected[0]!;
      expect(totals('delta')).toEqual(want);
      expect(fx.events({ customer: 'delta' })).toHaveLength(30 + entries.length);
    }, 40_000);

    it('a window with an input taken over meanwhile writes nothing; its other inputs are handed back and aggregated again', async () => {
      const stream = `fwdagg:${++n}`;
      const app = createTracker({
        apiKey: fx.apiKey,
        baseUrl: fx.url,
        meters: meters(),
        outbox: redisOutbox({ redis: server.url, stream, consume: false }),
      });
      for (let i = 0; i < 100; i++) app.track({ meter: 'api_calls', customerId: 'omega', quantity: 1 });
      await app.shutdown();
      const f = forwarder(stream, 1_500);
      await waitFor(async () => (await f.stats()).aggregate!.inputs === 100, 10_000);
      // Another consumer takes one input over and settles it the way a close does (its own entry, then
      // XACK+XDEL of the input, atomically), as if this forwarder had stalled past claimIdleMs.
      const pending = (await admin.call('XPENDING', stream, 'fluxrate', '-', '+', '1')) as [string][];
      const id = pending[0]![0];
      const claimed = (await admin.call('XCLAIM', stream, 'fluxrate', 'thief', '0', id)) as [
        string,
        string[],
      ][];
      const fields = claimed[0]![1];
      const taken = JSON.parse(fields[1]!) as unknown[];
      taken[8] = null; // delivered as it is, not aggregated again
      await admin
        .multi()
        .xadd(stream, '*', 'e', JSON.stringify(taken))
        .xack(stream, 'fluxrate', id)
        .xdel(stream, id)
        .exec();
      await waitFor(async () => {
        const s = await f.stats();
        return (
          s.aggregate!.refused === 1 &&
          s.aggregate!.windows >= 1 &&
          s.redis?.streamLength === 0 &&
          s.inFlight === 0
        );
      }, 20_000);
      expect(totals('omega')).toEqual({ api_calls: 100 });
    }, 30_000);
  },
);
