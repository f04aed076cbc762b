import type { Outbox, QueuedEvent } from '@fluxrate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { outboxEvent, RecordingHost } from './outbox-host.js';
import { waitFor } from './wait.js';

/** One storage under test: every `outbox()` is a new instance on it, as a restarted process would open. */
export interface OutboxStorage {
  /** Whether a second outbox on the same storage finds what the first left unsettled. */
  durable: boolean;
  outbox(): Outbox;
  /** Removes the storage, after every outbox on it is closed. */
  dispose?(): Promise<void> | void;
}

/** How long an outbox may take to make appended events leasable (Redis: append, then read back). */
const LEASABLE_MS = 10_000;
/** A time past every retry the cases schedule. */
const LATER = () => Date.now() + 7_200_000;
const keys = (events: QueuedEvent[]) => events.map((e) => e.idempotencyKey).sort();

/**
 * The `Outbox` contract (packages/core/src/outbox.ts), one suite for every outbox: the memory and SQLite
 * outboxes in core, the Redis one in @fluxrate/redis. Events are compared by idempotency key, as an outbox
 * may hand out a revived copy (Redis reads back what it appended).
 */
export function outboxContract(name: string, storage: () => Promise<OutboxStorage> | OutboxStorage): void {
  describe(`the Outbox contract: ${name}`, () => {
    const opened: Outbox[] = [];
    const storages: OutboxStorage[] = [];
    afterEach(async () => {
      for (const outbox of opened.splice(0)) await outbox.close().catch(() => undefined);
      for (const s of storages.splice(0)) await s.dispose?.();
    });

    async function fresh(): Promise<OutboxStorage> {
      const s = await storage();
      storages.push(s);
      return s;
    }
    function open(s: OutboxStorage): { outbox: Outbox; host: RecordingHost; recovered: QueuedEvent[] } {
      const outbox = s.outbox();
      opened.push(outbox);
      const host = new RecordingHost();
      return { outbox, host, recovered: outbox.open(host) };
    }
    /** Leases until `n` events came out, `max` at a time, at `now`; fails on a duplicate. */
    async function leaseN(outbox: Outbox, n: number, now = Date.now(), max = n): Promise<QueuedEvent[]> {
      const out: QueuedEvent[] = [];
      await waitFor(
        () => {
          const batch = outbox.lease(max, now);
          expect(batch.length).toBeLessThanOrEqual(max);
          out.push(...batch);
          return out.length >= n;
        },
        LEASABLE_MS,
        `${n} events to lease`,
      );
      expect(new Set(keys(out)).size).toBe(out.length);
      return out;
    }
    const appendN = (outbox: Outbox, n: number) =>
      Array.from({ length: n }, (_, i) => {
        const event = outboxEvent('acme', i + 1);
        outbox.append(event);
        return event;
      });

    it('hands out every appended event once, key and body intact, at most `max` a lease', async () => {
      const { outbox } = open(await fresh());
      const appended = appendN(outbox, 5);
      expect(outbox.size).toBe(5);
      const leased = await leaseN(outbox, 5, Date.now(), 2);
      expect(keys(leased)).toEqual(keys(appended));
      expect(leased.map((e) => e.quantity)).toEqual([1, 2, 3, 4, 5]); // oldest first
      const bodyOf = new Map(appended.map((e) => [e.idempotencyKey, e.body]));
      for (const e of leased) expect(e.body).toBe(bodyOf.get(e.idempotencyKey));
      // Leased events are not handed out again, and still count in size until settled.
      expect(outbox.lease(10, Date.now())).toEqual([]);
      expect(outbox.size).toBe(5);
      for (const e of leased) outbox.settle(e, { kind: e.quantity % 2 ? 'delivered' : 'failed' });
      expect(outbox.size).toBe(0);
      expect(outbox.lease(10, LATER())).toEqual([]);
    });

    it('makes a retried event due again at its time, not before, counting it while it waits', async () => {
      const { outbox } = open(await fresh());
      appendN(outbox, 1);
      const [event] = await leaseN(outbox, 1);
      expect(outbox.nextDueAt()).toBeUndefined(); // a fresh event does not wait
      const at = Date.now() + 60_000;
      outbox.settle(event!, { kind: 'retry', at });
      expect(outbox.nextDueAt()).toBe(at);
      expect(outbox.size).toBe(1);
      expect(outbox.lease(10, at - 1)).toEqual([]);
      expect(keys(outbox.lease(10, at))).toEqual(keys([event!]));
      expect(outbox.lease(10, at)).toEqual([]);
      outbox.settle(event!, { kind: 'delivered' });
      expect(outbox.size).toBe(0);
      expect(outbox.nextDueAt()).toBeUndefined();
    });

    it('hasten brings later retries forward to `at` and leaves earlier ones as they are', async () => {
      const { outbox } = open(await fresh());
      appendN(outbox, 2);
      const [soon, late] = await leaseN(outbox, 2);
      const now = Date.now();
      outbox.settle(soon!, { kind: 'retry', at: now + 50 });
      outbox.settle(late!, { kind: 'retry', at: now + 3_600_000 });
      outbox.hasten(now + 100);
      expect(outbox.nextDueAt()).toBe(now + 50);
      expect(keys(outbox.lease(10, now + 50))).toEqual(keys([soon!]));
      expect(outbox.lease(10, now + 99)).toEqual([]);
      expect(keys(outbox.lease(10, now + 100))).toEqual(keys([late!]));
    });

    it('evict hands back every event not leased (a durable outbox keeps them for the next)', async () => {
      const s = await fresh();
      const { outbox } = open(s);
      const appended = appendN(outbox, 3);
      const [leased] = await leaseN(outbox, 1, Date.now(), 1);
      const waiting = (await leaseN(outbox, 1, Date.now(), 1))[0]!;
      outbox.settle(waiting, { kind: 'retry', at: Date.now() + 3_600_000 });
      // The third may still be on its way in (Redis): evict returns it wherever it is.
      const evicted = outbox.evict();
      expect(keys([leased!, ...evicted])).toEqual(keys(appended));
      expect(outbox.size).toBe(1);
      outbox.settle(leased!, { kind: 'delivered' });
      expect(outbox.size).toBe(0);
      await outbox.close();
      const next = open(s).outbox;
      if (s.durable) expect(keys(await leaseN(next, evicted.length, LATER()))).toEqual(keys(evicted));
      else expect([next.size, next.lease(10, LATER())]).toEqual([0, []]);
    });

    it('after close, the next outbox on the storage holds exactly what was left unsettled (if durable)', async () => {
      const s = await fresh();
      const first = open(s);
      expect(first.recovered).toEqual([]);
      appendN(first.outbox, 5);
      const [delivered, failed, retried, dropped, leased] = await leaseN(first.outbox, 5);
      first.outbox.settle(delivered!, { kind: 'delivered' });
      first.outbox.settle(failed!, { kind: 'failed' });
      first.outbox.settle(retried!, { kind: 'retry', at: Date.now() + 60_000 });
      // Dropped at a shutdown deadline: gone from this outbox, kept in durable storage for the next.
      first.outbox.settle(dropped!, { kind: 'dropped' });
      expect(first.outbox.size).toBe(2); // the retried and the leased
      await first.outbox.close();

      const second = open(s);
      const left = s.durable ? keys([retried!, dropped!, leased!]) : [];
      if (left.length === 0) {
        expect(second.recovered).toEqual([]);
        expect(second.outbox.size).toBe(0);
        return;
      }
      const held = await leaseN(second.outbox, left.length, LATER());
      expect(keys(held)).toEqual(left);
      expect(second.outbox.size).toBe(left.length);
      // What open() reports as recovered is among them (an outbox that recovers later reports none).
      for (const key of keys(second.recovered)) expect(left).toContain(key);
    });
  });
}
