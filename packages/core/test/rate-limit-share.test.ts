import { mulberry32 } from '@fluxrate/local';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AttemptOutcome } from '../src/delivery/attempt-outcome.js';
import { Dispatcher } from '../src/delivery/dispatcher.js';
import { RateLimitShare } from '../src/delivery/rate-limit-share.js';
import type { EventTransport } from '../src/delivery/transport.js';
import { MemoryOutbox } from '../src/outbox/outbox-memory.js';
import { queuedEvent } from './support/queued-event.js';

/** A memory outbox standing in for a shared one: it records the fleet pauses asked of it. */
class PausingOutbox extends MemoryOutbox {
  readonly pauses: number[] = [];
  pause(untilMs: number): void {
    this.pauses.push(untilMs);
  }
  pausedUntil(): number {
    return 0;
  }
}

const answerIn1ms = (answer: (n: number) => AttemptOutcome): EventTransport => {
  let n = 0;
  return {
    send(_body, done) {
      const outcome = answer(++n);
      setTimeout(() => done(outcome), 1);
    },
    abortAll: () => undefined,
    close: async () => undefined,
  };
};

const options = {
  concurrency: 8,
  minTimeout: 200,
  maxTimeout: 30_000,
  retries: Number.POSITIVE_INFINITY,
  maxRetryTime: 3_600_000,
  maxRetryAfter: 60_000,
};
const rateLimited: AttemptOutcome = { kind: 'retry', status: 429, retryAfterMs: 1_000 };

function drain(answer: (n: number) => AttemptOutcome, events: number) {
  const outbox = new PausingOutbox();
  const dispatcher = new Dispatcher(outbox, answerIn1ms(answer), options, () => undefined);
  for (let i = 0; i < events; i++) outbox.append(queuedEvent(`e${i}`));
  dispatcher.schedule();
  return outbox;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a 429 pauses the fleet only when the fleet is being rate limited', () => {
  it('isolated 429s (7% of answers, among other transient errors) never pause the shared outbox', async () => {
    // Issue 23's degraded mix: the Redis outbox drained at 16 events/s when every 429 paused the fleet.
    const random = mulberry32(23);
    const outbox = drain(() => {
      const r = random();
      if (r < 0.066) return rateLimited;
      if (r < 0.33) return { kind: 'retry', status: 503 };
      return { kind: 'delivered', status: 201 };
    }, 4_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(outbox.size).toBe(0);
    expect(outbox.pauses).toEqual([]);
  });

  it('when every answer is a 429, the fourth one pauses the fleet for its Retry-After', async () => {
    const outbox = drain((n) => (n <= 40 ? rateLimited : { kind: 'delivered', status: 201 }), 100);
    await vi.advanceTimersByTimeAsync(5);
    expect(outbox.pauses.length).toBeGreaterThan(0);
    expect(outbox.pauses[0]).toBe(1_000_000 + 1 + 1_000);
  });

  it('counts the last 16 answers: 4 429s, at least half of those seen', () => {
    const share = new RateLimitShare();
    expect([true, true, true].map((x) => share.record(x))).toEqual([false, false, false]);
    expect(share.record(true)).toBe(true);
    const mixed = new RateLimitShare();
    for (let i = 0; i < 12; i++) mixed.record(false);
    expect([true, true, true, true].map((x) => mixed.record(x))).toEqual([false, false, false, false]);
    expect([true, true, true].map((x) => mixed.record(x))).toEqual([false, false, false]);
    expect(mixed.record(true)).toBe(true); // 8 of the last 16
    expect(mixed.record(false)).toBe(false); // an answer that is not a 429 never pauses
  });
});
