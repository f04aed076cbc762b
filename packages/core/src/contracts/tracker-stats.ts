/** What `tracker.stats()` returns: counts since the tracker started, and what it holds now. */
export interface TrackerStats {
  /** Accepted by `track()`. */
  tracked: number;
  /** Waiting to be sent (including events waiting for a retry). */
  queued: number;
  inFlight: number;
  /**
   * Epoch ms of the usage timestamp of the oldest event the outbox holds (queued, waiting to retry, in
   * flight); undefined when it holds none, or with an outbox that cannot tell (Redis: see its own metrics).
   */
  oldestEventAt: number | undefined;
  delivered: number;
  /** Retry attempts scheduled. */
  retried: number;
  failed: number;
  /** Of `failed`: events older than `maxEventAgeMs` when due, never sent (reason `too-old`). */
  tooOld: number;
  dropped: number;
  skipped: number;
  /** Route-meter errors reported (user functions, invalid events). */
  errors: number;
  /** Tracked events merged into another event by pre-aggregation. */
  aggregated: number;
  /** Tracked events merged into another event by coalescing under load (see the `coalesce` option). */
  coalesced: number;
  /** Events replayed from the spool at start. */
  replayed: number;
  /** Events another process delivers (an outbox shared through storage, e.g. Redis with `consume: false`). */
  handedOff: number;
  /**
   * Attempts that failed in a way retrying cannot fix by itself: TLS verification, an invalid header, a
   * host name that does not resolve, a proxy that refuses, drops or does not tunnel the connection (407
   * included). Each kind is also logged at error level at its first occurrence.
   */
  persistentFaults: { tls: number; header: number; dns: number; proxy: number };
}
