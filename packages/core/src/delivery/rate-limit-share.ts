/**
 * When is a 429 the fleet's rate limit rather than one request's bad luck? A shared outbox pauses the
 * whole fleet on a 429 (Outbox.pause), which is right when Fluxrate is limiting this fleet: then most
 * answers are 429s. An isolated 429 in a degraded mix (issue 23's 33% of transient errors, a 429 among
 * them now and then) only delays its own event by its Retry-After; pausing every instance for it would
 * turn a bad day into an outage (measured: 16 events/s instead of ~1 700 through the Redis outbox).
 *
 * So: the fleet pauses when at least `MIN_429` of the last `WINDOW` answers, and at least half of
 * them, were 429s. With every answer a 429 that is the 4th one (each forwarder's first few in flight);
 * with 429s at 7% of answers, P(4 of 4) = 2e-5 and P(8 of 16) < 1e-6.
 */
const WINDOW = 16;
const MIN_429 = 4;

export class RateLimitShare {
  /** The last WINDOW answers as bits (1 = a 429), newest in bit 0. */
  #bits = 0;
  #seen = 0;

  /** Records one answer; true when the recent ones say the fleet is being rate limited. */
  record(is429: boolean): boolean {
    this.#bits = ((this.#bits << 1) | (is429 ? 1 : 0)) & ((1 << WINDOW) - 1);
    if (this.#seen < WINDOW) this.#seen++;
    if (!is429) return false;
    const limited = popcount(this.#bits);
    return limited >= MIN_429 && limited * 2 >= this.#seen;
  }
}

function popcount(bits: number): number {
  let n = 0;
  for (let b = bits; b !== 0; b &= b - 1) n++;
  return n;
}
