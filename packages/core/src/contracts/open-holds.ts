/**
 * Bills the requests whose `hold()` is still open, with the usage added so far; `where` names what
 * stopped them (`shutdown()`, `SIGTERM`) in the `error` event each one raises. Returns how many.
 */
export type HoldSource = (where: string) => number;

/**
 * The tracker's view of open holds: each request lifecycle with held requests registers one source
 * (and removes it once none is held), so a shutdown or a stop signal bills them, whichever adapter
 * holds them, before the tracker stops accepting.
 */
export class OpenHolds {
  readonly #sources = new Set<HoldSource>();

  /** Registers a source; the returned function removes it. */
  add(source: HoldSource): () => void {
    this.#sources.add(source);
    return () => this.#sources.delete(source);
  }

  /** Bills every open hold now (a source bills through `MeteredRequest.bill()`, which never throws). */
  bill(where: string): number {
    let billed = 0;
    for (const source of [...this.#sources]) billed += source(where);
    return billed;
  }
}
