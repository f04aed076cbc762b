import type { MeterProviderLike } from '@fluxrate/core';
import type { Redis } from 'ioredis';

export interface RedisOutboxOptions {
  /** The app's ioredis client (a blocking reader is made with `duplicate()`), or a `redis://` / `rediss://` URL. Required. */
  redis: Redis | string;
  /** Stream key. Default: `'fluxrate:events'`. One consumer group per stream: settled entries are deleted. */
  stream?: string;
  /** Consumer group. Default: `'fluxrate'`. */
  group?: string;
  /** This process's consumer name. Default: `<hostname>-<pid>-<random>`, unique per process start. */
  consumer?: string;
  /** Deliver from the stream in this process. `false` leaves delivery to forwarders. Default: `true`. */
  consume?: boolean;
  /** Most entries the stream holds (the fleet's backlog); appends beyond are dropped as `overflow`. Default: 1 000 000. */
  maxLen?: number;
  /** Entries pending this long on a consumer (dead or stuck) are taken over with `XAUTOCLAIM`, in ms. Default: 30 000. */
  claimIdleMs?: number;
  /** Entries read ahead from the stream and held for the dispatcher. Default: 256. */
  prefetch?: number;
  /** Most events in one append (one `EVAL` of `XADD`s). Default: 1 000. */
  batchSize?: number;
  /**
   * Least time between the starts of two appends, in ms: under load one append carries every event of
   * the interval (the app's cost is per append, not per event). A SIGKILLed app loses at most what it
   * accepted in the last interval plus one round trip; at rates below one event per interval every turn is
   * still appended on its own. `0`: one append per event-loop turn. Default: 5.
   */
  appendIntervalMs?: number;
  /**
   * Where the outbox's OpenTelemetry metrics go (`fluxrate.redis.*`, see the README); `false`: none.
   * Default: the global MeterProvider when `@opentelemetry/api` is installed, else none (nothing loaded).
   */
  meterProvider?: MeterProviderLike | false;
  /** How long `close()` keeps trying to write events Redis has not confirmed, in ms. Default: 5 000. */
  closeTimeoutMs?: number;
}

/** What the whole fleet holds (`RedisOutbox.stats()` reads it from Redis). */
export interface RedisStreamStats {
  /** Entries in the stream (appended and not yet settled, fleet-wide). */
  streamLength: number;
  /** Entries read by a consumer of the group and not yet settled. */
  pending: number;
  /** Entries not yet read by any consumer. */
  lag: number | undefined;
  /** Age of the stream's first entry (appended longest ago, not yet settled), from its id; 0 when empty. */
  oldestEntryAgeMs: number;
}

/** This process's counts (`RedisOutbox.localStats()`, no I/O). */
export interface RedisOutboxLocalStats {
  /** This process: events appended and confirmed by Redis. */
  appended: number;
  /** This process: events refused because the stream was at `maxLen`. */
  overflow: number;
  /** This process: batches appended (one script call each; `appended / appends` events per call). */
  appends: number;
  /** This process: batch appends that failed (each retried with backoff until it lands). */
  appendErrors: number;
  /** This process: events buffered, not yet confirmed by Redis. */
  unconfirmed: number;
  /** This process: entries read from the stream (new and taken over). */
  read: number;
  /** This process: entries taken over from other consumers. */
  claimed: number;
  /** This process: entries acknowledged and deleted. */
  acked: number;
  /** This process: entries held (read ahead, leased or waiting to retry). */
  held: number;
}

export interface RedisOutboxStats extends RedisStreamStats, RedisOutboxLocalStats {}
