import {
  createTracker,
  FluxrateConfigError,
  type ShutdownReport,
  type Tracker,
  type TrackerOptions,
} from '@fluxrate/core';
import { type AggregateStats, StreamAggregator } from './forwarder-aggregate.js';
import { type RedisOutbox, redisOutbox } from './redis-outbox.js';
import type { RedisOutboxOptions, RedisOutboxStats } from './types.js';

export interface ForwarderAggregateOptions {
  /** Window in ms (>= 100); `claimIdleMs` must exceed it by at least 1 000. Required. */
  windowMs: number;
  /** Most distinct inputs in open windows; reaching it closes them early. Default: 10 000. */
  maxInputs?: number;
}

export interface ForwarderOptions {
  /** Where to read: the same stream and group as the apps. `consume` is always true here. */
  outbox: Omit<RedisOutboxOptions, 'consume'>;
  /** Tracker options for delivery (apiKey, baseUrl, concurrency, retry, logger, deadLetter…). */
  tracker?: Omit<TrackerOptions, 'outbox' | 'spool' | 'aggregate'>;
  /**
   * `--aggregate`: merge the stream's aggregatable entries (keys unique by construction) per window with
   * core's exact aggregation rules, exactly once across kills and takeovers. Default: off.
   */
  aggregate?: ForwarderAggregateOptions;
}

export interface ForwarderStats {
  delivered: number;
  failed: number;
  retried: number;
  dropped: number;
  inFlight: number;
  errors: number;
  redis: RedisOutboxStats | undefined;
  /** With `aggregate`: inputs merged, windows closed, aggregates written. */
  aggregate?: AggregateStats;
}

export interface Forwarder {
  readonly tracker: Tracker;
  readonly outbox: RedisOutbox;
  stats(): Promise<ForwarderStats>;
  /**
   * Stops reading, closes open aggregation windows (their aggregates go to the stream), finishes the
   * attempts in flight, hands everything else back to the group.
   */
  stop(timeoutMs?: number): Promise<ShutdownReport>;
}

/** Margin by which the takeover idle time must exceed a window (the close script's time included). */
const IDLE_MARGIN_MS = 1_000;

function resolveAggregate(
  raw: ForwarderAggregateOptions | undefined,
  claimIdleMs: number,
): Required<ForwarderAggregateOptions> | undefined {
  if (raw === undefined) return undefined;
  const { windowMs, maxInputs = 10_000 } = raw;
  if (typeof windowMs !== 'number' || !Number.isInteger(windowMs) || windowMs < 100) {
    throw new FluxrateConfigError('aggregate.windowMs', `must be an integer >= 100 (ms), got ${windowMs}`);
  }
  if (!Number.isInteger(maxInputs) || maxInputs <= 0) {
    throw new FluxrateConfigError('aggregate.maxInputs', `must be a positive integer, got ${maxInputs}`);
  }
  // A live forwarder keeps its inputs fresh, but an input must never look abandoned while its window
  // can still be open: takeover waits longer than a window.
  if (claimIdleMs < windowMs + IDLE_MARGIN_MS) {
    throw new FluxrateConfigError(
      'outbox.claimIdleMs',
      `must be at least aggregate.windowMs + ${IDLE_MARGIN_MS} (${windowMs + IDLE_MARGIN_MS} ms), got ${claimIdleMs}: ` +
        'inputs of an open window must not be taken over (--claim-idle > --aggregate)',
    );
  }
  return { windowMs, maxInputs };
}

/**
 * A delivery-only member of the consumer group: a tracker whose outbox is the shared stream. It accepts
 * no `track()` of its own; it delivers what the apps appended, with their keys and bodies, and with
 * `aggregate` first merges the aggregatable ones into aggregate entries (delivered like any entry).
 */
export function startForwarder(options: ForwarderOptions): Forwarder {
  const outbox = redisOutbox({ ...options.outbox, consume: true });
  const aggregate = resolveAggregate(options.aggregate, outbox.options.claimIdleMs);
  const aggregator = aggregate
    ? new StreamAggregator(outbox, aggregate.windowMs, aggregate.maxInputs)
    : undefined;
  const tracker = createTracker({ ...options.tracker, outbox });
  return {
    tracker,
    outbox,
    async stats() {
      const { delivered, failed, retried, dropped, inFlight, errors } = tracker.stats();
      const redis = await outbox.stats().catch(() => undefined);
      const stats: ForwarderStats = { delivered, failed, retried, dropped, inFlight, errors, redis };
      if (aggregator) stats.aggregate = aggregator.stats();
      return stats;
    },
    async stop(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      outbox.stop();
      // The windows' scripts run before delivery stops; their aggregates wait in the stream for any consumer.
      await aggregator?.close(timeoutMs);
      return tracker.shutdown({ timeoutMs: Math.max(1, deadline - Date.now()) });
    },
  };
}
