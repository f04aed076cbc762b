import { createTracker, type ShutdownReport, type Tracker, type TrackerOptions } from '@fluxrate/core';
import { type RedisOutbox, redisOutbox } from './redis-outbox.js';
import type { RedisOutboxOptions, RedisOutboxStats } from './types.js';

export interface ForwarderOptions {
  /** Where to read: the same stream and group as the apps. `consume` is always true here. */
  outbox: Omit<RedisOutboxOptions, 'consume'>;
  /** Tracker options for delivery (apiKey, baseUrl, concurrency, retry, logger, deadLetter…). */
  tracker?: Omit<TrackerOptions, 'outbox' | 'spool' | 'aggregate'>;
}

export interface ForwarderStats {
  delivered: number;
  failed: number;
  retried: number;
  dropped: number;
  inFlight: number;
  errors: number;
  redis: RedisOutboxStats | undefined;
}

export interface Forwarder {
  readonly tracker: Tracker;
  readonly outbox: RedisOutbox;
  stats(): Promise<ForwarderStats>;
  /** Stops reading, finishes the attempts in flight, hands everything else back to the group. */
  stop(timeoutMs?: number): Promise<ShutdownReport>;
}

/**
 * A delivery-only member of the consumer group: a tracker whose outbox is the shared stream. It accepts
 * no `track()` of its own; it delivers what the apps appended, with their keys and bodies.
 */
export function startForwarder(options: ForwarderOptions): Forwarder {
  const outbox = redisOutbox({ ...options.outbox, consume: true });
  const tracker = createTracker({ ...options.tracker, outbox });
  return {
    tracker,
    outbox,
    async stats() {
      const { delivered, failed, retried, dropped, inFlight, errors } = tracker.stats();
      const redis = await outbox.stats().catch(() => undefined);
      return { delivered, failed, retried, dropped, inFlight, errors, redis };
    },
    stop(timeoutMs = 10_000) {
      outbox.stop();
      return tracker.shutdown({ timeoutMs });
    },
  };
}
