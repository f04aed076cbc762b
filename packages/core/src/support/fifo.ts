/** A FIFO queue with O(1) push and shift (a growable ring buffer). */
export class Fifo<T> {
  #buffer: (T | undefined)[] = new Array(1024);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#buffer.length) this.#grow();
    this.#buffer[(this.#head + this.#size) % this.#buffer.length] = item;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#buffer[this.#head];
    this.#buffer[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#buffer.length;
    this.#size--;
    return item;
  }

  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  #grow(): void {
    const next: (T | undefined)[] = new Array(this.#buffer.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = this.#buffer[(this.#head + i) % this.#buffer.length];
    this.#buffer = next;
    this.#head = 0;
  }
}
