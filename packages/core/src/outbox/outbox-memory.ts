import type { QueuedEvent } from '../contracts/event.js';
import type { Outbox, OutboxHost, Settlement } from '../contracts/outbox.js';
import { Fifo } from '../support/fifo.js';
import { MinHeap } from '../support/min-heap.js';
import { OldestHeld } from './oldest-held.js';

/**
 * The default outbox: fresh events in a FIFO, events waiting for a retry in a min-heap by due time.
 * A waiting event costs its bytes, not a timer or a promise. Nothing survives the process.
 */
export class MemoryOutbox implements Outbox {
  readonly kind: string = 'memory';
  readonly #fresh = new Fifo<QueuedEvent>();
  readonly #waiting = new MinHeap<QueuedEvent>((event) => event.notBefore);
  readonly #oldest = new OldestHeld();
  #leased = 0;

  open(_host: OutboxHost): QueuedEvent[] {
    return [];
  }

  get size(): number {
    return this.#fresh.size + this.#waiting.size + this.#leased;
  }

  append(event: QueuedEvent): void {
    this.#oldest.add(event);
    if (event.notBefore > 0) this.#waiting.push(event);
    else this.#fresh.push(event);
  }

  lease(max: number, now: number): QueuedEvent[] {
    const out: QueuedEvent[] = [];
    while (out.length < max) {
      const next = this.#waiting.peek();
      const event = next && next.notBefore <= now ? this.#waiting.pop() : this.#fresh.shift();
      if (!event) break;
      out.push(event);
    }
    this.#leased += out.length;
    return out;
  }

  nextDueAt(): number | undefined {
    return this.#waiting.peek()?.notBefore;
  }

  settle(event: QueuedEvent, settlement: Settlement): void {
    this.#leased--;
    if (settlement.kind === 'retry') {
      event.notBefore = settlement.at;
      this.#waiting.push(event);
    } else this.#oldest.remove(event);
  }

  oldestTimestamp(): number | undefined {
    return this.#oldest.oldest();
  }

  hasten(at: number): void {
    for (const event of this.#waiting.drain()) {
      if (event.notBefore > at) event.notBefore = at;
      this.#waiting.push(event);
    }
  }

  evict(): QueuedEvent[] {
    const out = [...this.#fresh.drain(), ...this.#waiting.drain()];
    for (const event of out) this.#oldest.remove(event);
    return out;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
