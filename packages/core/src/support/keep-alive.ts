/**
 * A ref'd handle held while someone awaits the tracker (a pending `flush()` or `shutdown()`), so a job
 * that ends with `await tracker.flush()` cannot exit while an event waits for its retry behind unref'd
 * timers. Released as soon as nothing awaits; counted, so overlapping waits share one handle.
 */
export class KeepAlive {
  #holders = 0;
  #handle: NodeJS.Timeout | undefined;

  hold<T>(promise: Promise<T>): Promise<T> {
    if (this.#holders++ === 0) this.#handle = setInterval(() => undefined, 1 << 30);
    const release = () => {
      if (--this.#holders === 0 && this.#handle) {
        clearInterval(this.#handle);
        this.#handle = undefined;
      }
    };
    promise.then(release, release);
    return promise;
  }
}
