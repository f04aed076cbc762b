import type { QueuedEvent } from '../contracts/event.js';
import { MinHeap } from '../support/min-heap.js';

/**
 * The usage timestamp of the oldest event an outbox holds, for `stats().oldestEventAt` and the
 * `fluxrate.queue.oldest_event_age` gauge: a min-heap by timestamp with lazy removal, O(log n) per event
 * and O(1) amortised per read (no scan of the queue). Removed events leave the heap when they reach its
 * top, or in a rebuild once they outnumber the live ones (memory stays under twice what is held).
 */
export class OldestHeld {
  #heap = new MinHeap<QueuedEvent>((event) => event.timestamp);
  readonly #live = new Set<QueuedEvent>();

  add(event: QueuedEvent): void {
    if (this.#live.has(event)) return; // a retry going back to wait
    this.#live.add(event);
    this.#heap.push(event);
  }

  remove(event: QueuedEvent): void {
    this.#live.delete(event);
    if (this.#heap.size > 2 * this.#live.size + 1024) this.#rebuild();
  }

  /** Entries in the heap, removed ones not yet dropped included (bounded by `2 x held + 1024`). */
  get indexed(): number {
    return this.#heap.size;
  }

  /** Epoch ms of the oldest held event's usage, undefined when none is held. */
  oldest(): number | undefined {
    const heap = this.#heap;
    while (heap.size > 0 && !this.#live.has(heap.peek()!)) heap.pop();
    return heap.peek()?.timestamp;
  }

  #rebuild(): void {
    const heap = new MinHeap<QueuedEvent>((event) => event.timestamp);
    for (const event of this.#live) heap.push(event);
    this.#heap = heap;
  }
}
