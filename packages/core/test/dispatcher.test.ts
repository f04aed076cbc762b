import { mulberry32 } from '@fluxrate/local';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AttemptOutcome } from '../src/delivery/attempt-outcome.js';
import { type AttemptEnd, Dispatcher } from '../src/delivery/dispatcher.js';
import type { EventTransport } from '../src/delivery/transport.js';
import { MemoryOutbox } from '../src/outbox/outbox-memory.js';
import { queuedEvent } from './support/queued-event.js';

/** A transport answering from a script on the next tick, recording when each attempt was sent. */
function scriptedTransport(answer: (body: string, n: number) => AttemptOutcome) {
  const sent: { body: string; at: number; concurrent: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const transport: EventTransport = {
    send(body, done) {
      inFlight++;
      sent.push({ body, at: Date.now(), concurrent: inFlight });
      maxInFlight = Math.max(maxInFlight, inFlight);
      const outcome = answer(body, sent.length);
      setTimeout(() => {
        inFlight--;
        done(outcome);
      }, 1);
    },
    abortAll: () => undefined,
    close: async () => undefined,
  };
  return { transport, sent, maxInFlight: () => maxInFlight };
}

const event = queuedEvent;

const options = {
  concurrency: 4,
  minTimeout: 200,
  maxTimeout: 30_000,
  retries: Number.POSITIVE_INFINITY,
  maxRetryTime: 3_600_000,
  maxRetryAfter: 60_000,
};

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  vi.spyOn(Math, 'random').mockReturnValue(1); // backoff at the top of its jitter range: deterministic
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function setup(answer: (body: string, n: number) => AttemptOutcome, overrides = {}) {
  const outbox = new MemoryOutbox();
  const script = scriptedTransport(answer);
  const ends: { key: string; end: AttemptEnd }[] = [];
  const dispatcher = new Dispatcher(outbox, script.transport, { ...options, ...overrides }, (e, end) =>
    ends.push({ key: e.idempotencyKey, end }),
  );
  const add = (...keys: string[]) => {
    for (const key of keys) outbox.append(event(key));
    dispatcher.schedule();
  };
  return { outbox, dispatcher, ends, add, ...script };
}

describe('Dispatcher (fake timers)', () => {
  it('starts sending on a later turn, never on the caller stack', async () => {
    const { add, sent } = setup(() => ({ kind: 'delivered', status: 201 }));
    add('a');
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
  });

  it('retries a 503 with the same body after 200, 400, 800 ms, then delivers', async () => {
    const { add, sent, ends } = setup((_b, n) =>
      n <= 3 ? { kind: 'retry', status: 503 } : { kind: 'delivered', status: 201 },
    );
    add('evt_1');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent.map((s) => s.body)).toEqual(['evt_1', 'evt_1', 'evt_1', 'evt_1']);
    const gaps = sent.slice(1).map((s, i) => s.at - sent[i]!.at);
    expect(gaps).toEqual([201, 401, 801]); // backoff + the 1 ms the scripted answer takes
    expect(ends.map((e) => e.end.kind)).toEqual(['retry', 'retry', 'retry', 'delivered']);
  });

  it('honours Retry-After for that event only', async () => {
    const { add, sent } = setup((body, n) =>
      body === 'slow' && n === 1
        ? { kind: 'retry', status: 429, retryAfterMs: 5_000 }
        : { kind: 'delivered', status: 201 },
    );
    add('slow', 'b', 'c');
    await vi.advanceTimersByTimeAsync(10);
    expect(sent.map((s) => s.body)).toEqual(['slow', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(4_980);
    expect(sent).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(20);
    expect(sent.map((s) => s.body)).toEqual(['slow', 'b', 'c', 'slow']);
  });

  it('keeps at most `concurrency` attempts in flight', async () => {
    const { add, maxInFlight, ends } = setup(() => ({ kind: 'delivered', status: 201 }));
    add(...Array.from({ length: 50 }, (_, i) => `e${i}`));
    await vi.advanceTimersByTimeAsync(100);
    expect(ends).toHaveLength(50);
    expect(maxInFlight()).toBe(4);
  });

  it('keeps `concurrency` attempts in flight while half of the attempts fail, and delivers each event once', async () => {
    const random = mulberry32(7);
    const { add, sent, ends } = setup(() =>
      random() < 0.5 ? { kind: 'retry', status: 503 } : { kind: 'delivered', status: 201 },
    );
    const keys = Array.from({ length: 400 }, (_, i) => `e${i}`);
    add(...keys);
    // The last few events are alone at the end, so they back off exponentially: minutes of fake time.
    await vi.advanceTimersByTimeAsync(600_000);
    const delivered = ends.filter((e) => e.end.kind === 'delivered').map((e) => e.key);
    expect(delivered.sort()).toEqual([...keys].sort());
    // While fresh events remain (the first 400 sends), every send after the first wave has the full four in flight.
    expect(sent.slice(3, 400).filter((s) => s.concurrent < 4)).toEqual([]);
  });

  it('retries an event that failed while others were answered quickly (at most 25 ms), not after growing waits', async () => {
    // Every attempt of `unlucky` fails until its sixth; the others are answered in between.
    const { add, sent } = setup((body) => {
      if (body !== 'unlucky') return { kind: 'delivered', status: 201 };
      return sent.filter((s) => s.body === 'unlucky').length < 6
        ? { kind: 'retry', status: 503 }
        : { kind: 'delivered', status: 201 };
    });
    add('unlucky');
    const others = setInterval(() => add(`o${sent.length}`), 10);
    await vi.advanceTimersByTimeAsync(3_000);
    clearInterval(others);
    const at = sent.filter((s) => s.body === 'unlucky').map((s) => s.at);
    expect(at).toHaveLength(6);
    // The first retry is its first backoff step (nobody answered yet); then quick ones: 25 ms + the answer's 1 ms.
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([201, 26, 26, 26, 26]);
  });

  it('in a full outage probes one request at a time, at most one a second, then ramps back to `concurrency`', async () => {
    let down = true;
    const { add, sent } = setup(() =>
      down ? { kind: 'retry', error: 'ECONNREFUSED' } : { kind: 'delivered', status: 201 },
    );
    const start = Date.now();
    add(...Array.from({ length: 200 }, (_, i) => `e${i}`));
    await vi.advanceTimersByTimeAsync(70_000);
    // Connection refused everywhere empties the bucket within its first hundred attempts; then probes only.
    const outage = sent.filter((s) => s.at >= start + 10_000);
    expect(outage.every((s) => s.concurrent === 1)).toBe(true);
    expect(outage.length).toBeGreaterThanOrEqual(55);
    expect(outage.length).toBeLessThanOrEqual(61);
    expect(outage.slice(1).every((s, i) => s.at - outage[i]!.at >= 1_000)).toBe(true);
    down = false;
    const recovered = sent.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(new Set(sent.map((s) => s.body)).size).toBe(200);
    expect(Math.max(...sent.slice(recovered).map((s) => s.concurrent))).toBe(4);
  });

  it('a retry waiting for its time holds no slot: with concurrency 1 the others go first', async () => {
    const { add, sent } = setup(
      (body, n) =>
        body === 'late' && n === 1
          ? { kind: 'retry', status: 503, retryAfterMs: 2_000 }
          : { kind: 'delivered', status: 201 },
      { concurrency: 1 },
    );
    add('late', 'a', 'b', 'c');
    await vi.advanceTimersByTimeAsync(100);
    expect(sent.map((s) => s.body)).toEqual(['late', 'a', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent.map((s) => s.body)).toEqual(['late', 'a', 'b', 'c', 'late']);
  });

  it("under bench's 33% mix with 429 Retry-After 1 s, the slots stay full and the drain ends when the last Retry-After does", async () => {
    // @fluxrate/local's mix of `pnpm bench degraded` (issue 23): 6.6% 429 with Retry-After 1 s, 26.4% other
    // transient failures. The 429s may only slow the events that drew them: the bound is their own chains.
    const random = mulberry32(23);
    const waitsEnd = new Map<string, number>();
    const { add, sent, ends } = setup(
      (body) => {
        const r = random();
        if (r < 0.066) {
          waitsEnd.set(body, Date.now() + 1 + 1_000);
          return { kind: 'retry', status: 429, retryAfterMs: 1_000 };
        }
        return r < 0.33 ? { kind: 'retry', status: 503 } : { kind: 'delivered', status: 201 };
      },
      { concurrency: 8 },
    );
    const keys = Array.from({ length: 2_000 }, (_, i) => `e${i}`);
    add(...keys);
    const start = Date.now();
    let drainedAt = 0;
    while (drainedAt === 0 && Date.now() - start < 60_000) {
      await vi.advanceTimersByTimeAsync(1);
      if (ends.filter((e) => e.end.kind === 'delivered').length === keys.length) drainedAt = Date.now();
    }
    expect(new Set(ends.filter((e) => e.end.kind === 'delivered').map((e) => e.key))).toEqual(new Set(keys));
    // While fresh events remain, every send after the first wave has all eight slots busy: no wait holds one.
    expect(sent.slice(7, keys.length).filter((s) => s.concurrent < 8)).toEqual([]);
    // Each 429 is honoured for its event (not re-sent before its second is up) ...
    for (const [key, end] of waitsEnd) {
      const last = sent.filter((s) => s.body === key).at(-1)!;
      expect(last.at).toBeGreaterThanOrEqual(end - 1);
    }
    // ... and past the last Retry-After only quick retries (25 ms + 1 ms answers) remain: a few dozen ms.
    const lastWait = Math.max(...waitsEnd.values());
    expect(drainedAt - lastWait).toBeLessThan(200);
    expect(drainedAt - start).toBeGreaterThan(1_000);
  });

  it('after closing() waits at most minTimeout for a retry that was due in 30 s', async () => {
    const { add, sent, dispatcher } = setup((_b, n) =>
      n === 1 ? { kind: 'retry', status: 429, retryAfterMs: 30_000 } : { kind: 'delivered', status: 201 },
    );
    add('a');
    await vi.advanceTimersByTimeAsync(10);
    dispatcher.closing();
    await vi.advanceTimersByTimeAsync(250);
    expect(sent).toHaveLength(2);
  });

  it('reports a retry that comes back after stop() as abandoned', async () => {
    const { add, ends, dispatcher, outbox } = setup(() => ({ kind: 'retry', error: 'aborted' }));
    add('a');
    await vi.advanceTimersByTimeAsync(0);
    dispatcher.stop();
    await vi.advanceTimersByTimeAsync(5);
    expect(ends.map((e) => e.end.kind)).toEqual(['abandoned']);
    expect(outbox.size).toBe(0);
  });
});
