import type { FlushResult } from '../contracts/types.js';

interface FlushWaiter {
  target: number;
  resolve: (result: FlushResult) => void;
  promise: Promise<FlushResult>;
}

/**
 * Flush bookkeeping: every accepted event belongs to the generation open when it was accepted; a flush
 * closes the open generation and resolves once it and every older one have settled. Concurrent flushes
 * with nothing accepted in between share one promise. Counting is O(1) per event.
 */
export class FlushGenerations {
  /** Outstanding events per closed generation; the open generation is counted in #current. */
  readonly #closed = new Map<number, number>();
  #current = 0;
  #generation = 0;
  #waiters: FlushWaiter[] = [];

  /** The generation a newly accepted event joins. */
  get open(): number {
    return this.#generation;
  }

  get waiting(): boolean {
    return this.#waiters.length > 0;
  }

  /** Outstanding own events in every generation. */
  get outstanding(): number {
    let total = this.#current;
    for (const count of this.#closed.values()) total += count;
    return total;
  }

  add(): number {
    this.#current++;
    return this.#generation;
  }

  settle(generation: number): void {
    if (generation < 0) return;
    if (generation === this.#generation) {
      this.#current--;
      return;
    }
    const left = (this.#closed.get(generation) ?? 1) - 1;
    if (left > 0) this.#closed.set(generation, left);
    else this.#closed.delete(generation);
    if (this.#waiters.length > 0) this.#resolve();
  }

  /** A promise for everything accepted so far; resolves at once when nothing is outstanding. */
  flush(): { promise: Promise<FlushResult>; target: number } {
    const last = this.#waiters.at(-1);
    if (last && last.target === this.#generation - 1 && this.#current === 0) {
      return { promise: last.promise, target: last.target };
    }
    if (this.#current > 0) this.#closed.set(this.#generation, this.#current);
    this.#current = 0;
    const target = this.#generation++;
    if (this.#closed.size === 0) return { promise: Promise.resolve({ settled: true, pending: 0 }), target };
    let resolve!: (result: FlushResult) => void;
    const promise = new Promise<FlushResult>((r) => {
      resolve = r;
    });
    this.#waiters.push({ target, resolve, promise });
    return { promise, target };
  }

  pendingUpTo(target: number): number {
    let pending = 0;
    for (const [generation, count] of this.#closed) if (generation <= target) pending += count;
    return pending;
  }

  #resolve(): void {
    // Map keys keep insertion order, which is generation order: the first key is the oldest outstanding.
    const oldest = this.#closed.keys().next();
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters[0]!;
      if (!oldest.done && oldest.value <= waiter.target) break;
      this.#waiters.shift();
      waiter.resolve({ settled: true, pending: 0 });
    }
  }
}
