import type { QueuedEvent } from '@fluxrate/core';
import { MinHeap } from '@fluxrate/core/adapter';

/**
 * Held events waiting for their retry, in a min-heap by due time (`notBefore`): leasing the due ones and
 * finding the next due time cost O(log n), not a scan and sort of every waiting event on each lease.
 * They do not count against `prefetch` (a degraded Fluxrate must not starve the read-ahead); their own
 * bound is `maxWaiting` (see RedisOutbox's room).
 */
export class RetryWaiting {
  readonly #heap = new MinHeap<QueuedEvent>((event) => event.notBefore);

  get size(): number {
    return this.#heap.size;
  }

  add(event: QueuedEvent, at: number): void {
    event.notBefore = at;
    this.#heap.push(event);
  }

  /** Up to `max` events due at `now`, earliest first. */
  due(max: number, now: number, out: QueuedEvent[]): void {
    while (out.length < max) {
      const next = this.#heap.peek();
      if (next === undefined || next.notBefore > now) return;
      out.push(this.#heap.pop()!);
    }
  }

  nextDueAt(): number | undefined {
    return this.#heap.peek()?.notBefore;
  }

  /** Every event due later than `at` becomes due at `at`. */
  hasten(at: number): void {
    for (const event of this.#heap.drain()) this.add(event, Math.min(event.notBefore, at));
  }

  drain(): QueuedEvent[] {
    return this.#heap.drain();
  }
}
