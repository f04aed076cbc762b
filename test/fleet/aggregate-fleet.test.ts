import { createTracker } from '@fluxrate/core';
import { startLocalServer } from '@fluxrate/local';
import { redisOutbox } from '@fluxrate/redis';
import { sleep, startRedis } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { FAST_RETRY, fleetSkipReason, forwarderArgs, type Proc, startChaos, useFleet } from './processes.js';

const skip = fleetSkipReason('fleet:aggregate');

const KILLS = 4;
const KILL_EVERY_MS = 2_500;
const WINDOW_MS = 500;
const CUSTOMERS = 5;

describe.skipIf(skip)(
  'fleet: 3 apps + 2 forwarders with --aggregate, a forwarder SIGKILLed mid-window, 30% Fluxrate faults',
  () => {
    const fleet = useFleet();

    it('bills the exact total once, in far fewer Fluxrate calls than events', async () => {
      const stream = 'fleet:aggregate';
      const { fx, redis, env: base } = await startChaos(fleet, 1818, stream);
      const apps = [0, 1, 2].map((i) => {
        const proc = fleet.app(`a${i}`, {
          ...base,
          APP: `a${i}`,
          MODE: 'ticks',
          PER_TICK: '8',
          TICK_MS: '10',
          KEYS: 'generated',
          CUSTOMERS: String(CUSTOMERS),
        });
        return proc;
      });
      /** Every forwarder process ever started (the killed ones keep their last stats line). */
      const generations: Proc[] = [];
      const startForwarder = (slot: number) => {
        const proc = fleet.run(
          `f${slot}g${generations.length}`,
          forwarderArgs(
            redis!,
            stream,
            '--aggregate',
            String(WINDOW_MS),
            '--claim-idle',
            String(WINDOW_MS + 1_500),
            '--concurrency',
            '8',
            ...FAST_RETRY,
            '--stats-interval',
            '250',
          ),
          base,
        );
        generations.push(proc);
        return proc;
      };
      const forwarders = [startForwarder(0), startForwarder(1)];
      await Promise.all([
        ...apps.map((p) => p.until('listening')),
        ...forwarders.map((p) => p.until('started')),
      ]);

      const started = Date.now();
      let kills = 0;
      let midWindow = 0;
      while (kills < KILLS) {
        await sleep(KILL_EVERY_MS);
        const slot = kills++ % 2;
        const victim = forwarders[slot]!;
        // Mid-window: its last stats line shows inputs held in an open window (pending, not acked).
        if (Number(victim.last('stats')?.aggregate?.open ?? 0) > 0) midWindow++;
        victim.child.kill('SIGKILL');
        await victim.exited;
        forwarders[slot] = startForwarder(slot);
        await forwarders[slot]!.until('started');
      }
      // The apps stop gracefully: everything they accepted is in Redis before they exit.
      for (const p of apps) p.child.kill('SIGTERM');
      const shutdowns = await Promise.all(apps.map((p) => p.until('shutdown', undefined, 30_000)));
      const accepted = shutdowns.reduce((sum, l) => sum + Number(l.upTo), 0);
      const probe = redisOutbox({ redis: redis.url, stream, consume: false });
      try {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const s = await probe.stats();
          if (s.streamLength === 0 && s.pending === 0) break;
          if (Date.now() > deadline) throw new Error(`stream not drained: ${JSON.stringify(s)}`);
          await sleep(100);
        }
      } finally {
        await probe.close();
      }
      for (const p of forwarders) p.child.kill('SIGTERM');
      await Promise.all(forwarders.map((p) => p.until('stopped', undefined, 15_000)));

      const total = fx.usage().reduce((sum, u) => sum + u.total, 0);
      const records = fx.events();
      const stats = fx.stats();
      const last = generations.map((p) => p.last('stats') ?? {});
      const sum = (pick: (l: Record<string, any>) => number) => last.reduce((s, l) => s + (pick(l) || 0), 0);
      const inputs = sum((l) => l.aggregate?.inputs);
      const refused = sum((l) => l.aggregate?.refused);
      const claimed = sum((l) => l.redis?.claimed);
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `[fleet:aggregate] ${seconds.toFixed(1)} s: accepted=${accepted} billed total=${total} ` +
          `records=${records.length} Fluxrate calls=${stats.requests} (faults ${JSON.stringify(stats.faults)}, ` +
          `dedupes ${stats.deduplicated}) forwarder kills=${kills} (mid-window ${midWindow}) ` +
          `inputs merged (a taken-over input counts again)=${inputs} windows refused=${refused} entries taken over=${claimed}`,
      );
      // Exact: every accepted event billed once (a double raises the total, a loss lowers it).
      expect(total).toBe(accepted);
      expect(accepted).toBeGreaterThan(10_000);
      expect(shutdowns.every((s) => s.dropped.length === 0 && s.report.pending === 0)).toBe(true);
      // No record stored twice under one key.
      expect(new Set(records.map((r) => r.idempotencyKey)).size).toBe(records.length);
      // Far fewer calls than events.
      expect(records.length).toBeLessThan(accepted / 20);
      expect(stats.requests).toBeLessThan(accepted / 10);
      expect(midWindow).toBeGreaterThan(0);
      // A killed forwarder's pending inputs were taken over by another.
      expect(claimed).toBeGreaterThan(0);
    }, 60_000);

    it('SIGTERM closes the open windows into aggregates, then hands back; the next forwarder delivers them', async () => {
      // The first test's servers when it ran, else their own (stopped with the fleet either way).
      fleet.fx ??= await startLocalServer({ meters: { api_calls: {} } });
      fleet.redis ??= await startRedis();
      const { fx, redis } = fleet;
      fx.setFaults({});
      const stream = 'fleet:aggregate-sigterm';
      const env = { FLUXRATE_API_KEY: fx.apiKey, FLUXRATE_BASE_URL: fx.url };
      const app = createTracker({
        ...{ apiKey: fx.apiKey, baseUrl: fx.url },
        meters: { api_calls: fx.meters.api_calls!.token },
        outbox: redisOutbox({ redis: redis.url, stream, consume: false }),
      });
      for (let i = 0; i < 600; i++) app.track({ meter: 'api_calls', customerId: `sig${i % 3}`, quantity: 2 });
      await app.shutdown();
      const args = (window?: string) =>
        forwarderArgs(
          redis!,
          stream,
          '--stats-interval',
          '100',
          ...(window ? ['--aggregate', window, '--claim-idle', '4000000'] : []),
        );
      // A window of an hour: only SIGTERM closes it.
      const first = fleet.run('agg-sigterm', args('3600000'), env);
      await first.until('stats', (l) => l.aggregate?.inputs === 600);
      expect(fx.events({ customer: 'sig0' })).toHaveLength(0);
      first.child.kill('SIGTERM');
      await first.until('stopped');
      expect(await first.exited).toMatchObject({ code: 0 });
      // The stream now holds just the aggregates, none pending: one per customer (a few more if the
      // events straddled an hour boundary).
      const probe = redisOutbox({ redis: redis.url, stream, consume: false });
      const after = await probe.stats().finally(() => probe.close());
      expect(after.pending).toBe(0);
      expect(after.streamLength).toBe(first.last('stats')!.aggregate.aggregates);
      expect(after.streamLength).toBeGreaterThanOrEqual(3);
      expect(after.streamLength).toBeLessThanOrEqual(6);
      const second = fleet.run('plain-after', args(), env);
      await second.until(
        'stats',
        (l) => l.redis?.streamLength === 0 && l.redis?.pending === 0 && l.delivered > 0,
      );
      second.child.kill('SIGTERM');
      await second.until('stopped');
      const totals = fx.usage().filter((u) => u.customer.startsWith('sig'));
      expect(totals.map((u) => u.total)).toEqual([400, 400, 400]);
    }, 30_000);
  },
);
