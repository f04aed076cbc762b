/**
 * The per-attempt timeout as one shared timer (a one-slot timer wheel). Every item gets the same
 * timeout, so insertion order is deadline order: the timer only ever waits for the oldest item, and
 * an attempt costs a map entry instead of a timer of its own. Unref'd: an attempt in flight keeps the
 * process alive through its socket, not through this timer.
 */
export class DeadlineWheel<T> {
  readonly #deadlines = new Map<T, number>();
  readonly #timeoutMs: number;
  readonly #onExpire: (item: T) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, onExpire: (item: T) => void) {
    this.#timeoutMs = timeoutMs;
    this.#onExpire = onExpire;
  }

  add(item: T): void {
    this.#deadlines.set(item, Date.now() + this.#timeoutMs);
    if (this.#timer === undefined) this.#arm(this.#timeoutMs);
  }

  remove(item: T): void {
    this.#deadlines.delete(item);
  }

  /** The items in flight, oldest first (a copy: callers may remove while iterating). */
  all(): T[] {
    return [...this.#deadlines.keys()];
  }

  get size(): number {
    return this.#deadlines.size;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    for (const [item, deadline] of this.#deadlines) {
      if (deadline > now) return this.#arm(deadline - now);
      this.#deadlines.delete(item);
      this.#onExpire(item);
    }
  };

  #arm(ms: number): void {
    this.#timer = setTimeout(this.#check, ms);
    this.#timer.unref();
  }
}
