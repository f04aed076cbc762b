import { redisOutbox } from '@fluxrate/redis';
import { sleep } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { FAST_RETRY, fleetSkipReason, forwarderArgs, type Proc, startChaos, useFleet } from './processes.js';

const skip = fleetSkipReason('fleet');

/** Events the apps accept in all (FLEET_EVENTS raises it) and the shortest chaos time. */
const TARGET = Number(process.env.FLEET_EVENTS ?? 21_000);
const MIN_MS = 12_000;
const PER_TICK = 16;
const TICK_MS = 10;

describe.skipIf(skip)(
  'fleet: 3 apps + 2 forwarders on one Redis stream, SIGKILLs, 30% Fluxrate faults',
  () => {
    const fleet = useFleet();

    it('bills every event exactly once; a killed app loses only its unconfirmed last turn, a killed forwarder nothing', async () => {
      const stream = 'fleet:kill';
      const { fx, redis, env: base } = await startChaos(fleet, 18, stream);
      let generation = 0;
      /** Every app process ever started, with whether it was killed. */
      const apps: { proc: Proc; app: string; killed: boolean }[] = [];
      const startApp = (slot: number) => {
        const app = `a${slot}g${++generation}`;
        const proc = fleet.app(app, {
          ...base,
          APP: app,
          MODE: 'ticks',
          PER_TICK: String(PER_TICK),
          TICK_MS: String(TICK_MS),
        });
        const entry = { proc, app, killed: false };
        apps.push(entry);
        return entry;
      };
      const startForwarder = (slot: number) => {
        const proc = fleet.run(
          `f${slot}`,
          forwarderArgs(
            redis!,
            stream,
            '--concurrency',
            '16',
            '--prefetch',
            '128',
            '--claim-idle',
            '1500',
            ...FAST_RETRY,
            '--stats-interval',
            '500',
          ),
          base,
        );
        return proc;
      };
      const slots: { kind: 'app' | 'forwarder'; current: { proc: Proc; app?: string; killed: boolean } }[] = [
        ...[0, 1, 2].map((i) => ({ kind: 'app' as const, current: startApp(i) })),
        ...[0, 1].map((i) => ({
          kind: 'forwarder' as const,
          current: { proc: startForwarder(i), killed: false },
        })),
      ];
      // Every member running before the chaos starts: a kill then always hits a process that was working
      // (under load an app can take over the first 1.5 s to start, and killing it then measures nothing).
      await Promise.all(slots.map((s) => s.current.proc.until(s.kind === 'app' ? 'tick' : 'started')));
      const killed = { app: 0, forwarder: 0 };
      let redisRestartedAt = 0;
      const started = Date.now();
      let next = 0;
      const accepted = () => apps.reduce((sum, a) => sum + Number(a.proc.last('tick')?.upTo ?? 0), 0);
      // Chaos until the apps accepted TARGET events (at least MIN_MS, so every kind of kill happens).
      while (Date.now() - started < MIN_MS || (accepted() < TARGET && Date.now() - started < 60_000)) {
        await sleep(1_500);
        const sinceStart = Date.now() - started;
        if (!redisRestartedAt && sinceStart > MIN_MS / 2) {
          // Redis killed (no shutdown save) and back: with appendfsync always nothing confirmed is lost.
          await redis.stop(true);
          await sleep(500);
          await redis.start();
          redisRestartedAt = Date.now();
          continue;
        }
        // A random member, alternating apps and forwarders so both are killed in every run.
        // No app is killed while its appends may still be in backoff after the Redis restart: what an app
        // holds unconfirmed during an outage is lost with it (the README states it), which is not the
        // one-turn window this test measures.
        const afterOutage = redisRestartedAt > 0 && Date.now() - redisRestartedAt < 6_000;
        const kind = next++ % 2 === 0 && !afterOutage ? 'app' : 'forwarder';
        const pool = slots.filter((s) => s.kind === kind);
        const slot = pool[Math.floor(Math.random() * pool.length)]!;
        slot.current.killed = true;
        slot.current.proc.child.kill('SIGKILL');
        await slot.current.proc.exited;
        killed[slot.kind]++;
        const index = slots.indexOf(slot);
        slot.current =
          slot.kind === 'app' ? startApp(index) : { proc: startForwarder(index - 3), killed: false };
        // Until its handlers are installed a SIGTERM would kill it outright.
        await slot.current.proc.until(slot.kind === 'app' ? 'listening' : 'started');
      }
      // The apps stop gracefully: everything they accepted is appended before they exit.
      const live = slots.filter((s) => s.kind === 'app').map((s) => s.current.proc);
      for (const p of live) p.child.kill('SIGTERM');
      const shutdowns = await Promise.all(live.map((p) => p.until('shutdown', undefined, 30_000)));
      // Then the forwarders drain the stream.
      const probe = redisOutbox({ redis: redis.url, stream, consume: false });
      try {
        const deadline = Date.now() + 45_000;
        for (;;) {
          const s = await probe.stats();
          if (s.streamLength === 0) break;
          if (Date.now() > deadline) throw new Error(`stream not drained: ${JSON.stringify(s)}`);
          await sleep(200);
        }
      } finally {
        await probe.close();
      }
      const forwarders = slots.filter((s) => s.kind === 'forwarder').map((s) => s.current.proc);
      for (const p of forwarders) p.child.kill('SIGTERM');
      const stopped = await Promise.all(forwarders.map((p) => p.until('stopped', undefined, 20_000)));

      // What each app accepted: every seq up to its last printed tick (or its shutdown line).
      const stored = new Set(fx.events().map((e) => e.idempotencyKey));
      let expected = 0;
      let missingKilled = 0;
      let maxWindow = 0;
      let maxUnconfirmed = 0;
      let extras = 0;
      const gaps: string[] = [];
      for (const { proc, app, killed: wasKilled } of apps) {
        const upTo = Number(proc.last('shutdown')?.upTo ?? proc.last('tick')?.upTo ?? 0);
        expected += upTo;
        const missing: number[] = [];
        for (let seq = 1; seq <= upTo; seq++) if (!stored.has(`${app}-${seq}`)) missing.push(seq);
        // Accepted after the last printed line (killed between track and print) and still delivered.
        for (let seq = upTo + 1; stored.has(`${app}-${seq}`); seq++) extras++;
        if (!wasKilled) {
          if (missing.length > 0) gaps.push(`${app} (graceful) missing ${missing.length}`);
          continue;
        }
        // A killed app loses only a tail: what it accepted after its last confirmed append. Its last tick
        // line said how many of the events up to then Redis had not confirmed: the loss is within that
        // (events only move from unconfirmed to confirmed after the line), whatever the machine's speed.
        if (missing.length > 0 && missing[0] !== upTo - missing.length + 1)
          gaps.push(`${app} lost ${missing} (not a tail)`);
        const unconfirmed = Number(proc.last('tick')?.unconfirmed ?? 0);
        if (missing.length > unconfirmed)
          gaps.push(
            `${app} lost ${missing.length}, more than the ${unconfirmed} unconfirmed at its last tick`,
          );
        maxUnconfirmed = Math.max(maxUnconfirmed, unconfirmed);
        missingKilled += missing.length;
        maxWindow = Math.max(maxWindow, missing.length);
      }
      const events = fx.events();
      const stats = fx.stats();
      const delivered = stopped.reduce((sum, l) => sum + l.delivered, 0);
      console.log(
        `[fleet] ${Math.round((Date.now() - started) / 1000)} s: accepted=${expected} stored=${stored.size} ` +
          `killed apps=${killed.app} forwarders=${killed.forwarder} redis restarted=1 ` +
          `lost by killed apps=${missingKilled} (max ${maxWindow} per kill = ${maxWindow / PER_TICK} ticks of ${TICK_MS} ms; ` +
          `max unconfirmed at a killed app's last tick ${maxUnconfirmed}) ` +
          `delivered-after-last-print=${extras} dedupes=${stats.deduplicated} faults=${JSON.stringify(stats.faults)} ` +
          `forwarders delivered (last gen)=${delivered}`,
      );
      expect(gaps).toEqual([]);
      expect(expected).toBeGreaterThanOrEqual(Math.min(TARGET, 20_000));
      expect(killed.app).toBeGreaterThan(0);
      expect(killed.forwarder).toBeGreaterThan(0);
      // 0 doubles: one record per key, and the total is the record count (quantity 1 each).
      expect(events.length).toBe(stored.size);
      expect(fx.usage().reduce((sum, u) => sum + u.total, 0)).toBe(stored.size);
      // Exact: stored = accepted - the killed apps' unconfirmed tails + the few accepted after their last print.
      expect(stored.size).toBe(expected - missingKilled + extras);
      // The window is what Redis had not confirmed (checked per app above, in gaps): the batch in flight and
      // what was accepted meanwhile. In ticks it depends on the machine's speed (the append's round trip
      // against TICK_MS), so it is printed, not bounded; the appender holding at most one batch in flight
      // is packages/redis/test's concern.
      expect(extras).toBeLessThanOrEqual(killed.app * PER_TICK);
      expect(shutdowns.every((s) => s.dropped.length === 0 && s.report.pending === 0)).toBe(true);
    }, 120_000);
  },
);
