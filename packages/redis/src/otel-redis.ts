import type { MeterProviderLike, OtelMeter } from '@fluxrate/core';
import { type Observable, resolveMeterProvider } from '@fluxrate/core/adapter';
import type { RedisOutbox } from './redis-outbox.js';
import type { RedisOutboxLocalStats, RedisStreamStats } from './types.js';

/** A collection never waits on an unreachable Redis longer than this: the fleet-wide gauges are left out. */
const FLEET_READ_TIMEOUT_MS = 1_000;

type Kind = 'Counter' | 'Gauge';
type BatchResult = Parameters<Parameters<OtelMeter['addBatchObservableCallback']>[0]>[0];
/** Instruments read from `localStats()` (this process) at each collection. */
const LOCAL: [Kind, string, string, keyof RedisOutboxLocalStats, string][] = [
  [
    'Counter',
    'fluxrate.redis.appended',
    '{event}',
    'appended',
    'Events this process appended, confirmed by Redis',
  ],
  ['Counter', 'fluxrate.redis.appends', '{batch}', 'appends', 'Batch appends (one script call each)'],
  [
    'Counter',
    'fluxrate.redis.append.errors',
    '{error}',
    'appendErrors',
    'Batch appends that failed (retried)',
  ],
  ['Counter', 'fluxrate.redis.overflow', '{event}', 'overflow', 'Events refused: the stream was at maxLen'],
  ['Counter', 'fluxrate.redis.read', '{entry}', 'read', 'Entries this process read (new and taken over)'],
  ['Counter', 'fluxrate.redis.claimed', '{entry}', 'claimed', 'Entries taken over from other consumers'],
  ['Counter', 'fluxrate.redis.acked', '{entry}', 'acked', 'Entries settled (acknowledged and deleted)'],
  ['Gauge', 'fluxrate.redis.unconfirmed', '{event}', 'unconfirmed', 'Events buffered, not yet in Redis'],
  ['Gauge', 'fluxrate.redis.held', '{entry}', 'held', 'Entries held here: read ahead, leased, retrying'],
];
/** Fleet-wide gauges read from Redis (XLEN, XINFO GROUPS, XRANGE COUNT 1) at each collection. */
const FLEET: [string, string, (s: RedisStreamStats) => number | undefined, string][] = [
  ['fluxrate.redis.stream.length', '{entry}', (s) => s.streamLength, 'Entries in the stream, fleet-wide'],
  ['fluxrate.redis.stream.pending', '{entry}', (s) => s.pending, 'Entries read by a consumer, not settled'],
  ['fluxrate.redis.stream.lag', '{entry}', (s) => s.lag, 'Entries no consumer has read yet'],
  [
    'fluxrate.redis.stream.oldest_entry_age',
    's',
    (s) => s.oldestEntryAgeMs / 1000,
    'Age of the oldest unsettled entry (from its stream id)',
  ],
];

/** Every instrument this module creates (the README's table is checked against it). */
export const REDIS_INSTRUMENTS = [...LOCAL.map((row) => row[1]), ...FLEET.map((row) => row[0])];

function withTimeout<T>(promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), FLEET_READ_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([promise.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Records the outbox as OpenTelemetry metrics (meter scope `@fluxrate/redis`; attribute
 * `fluxrate.redis.stream`, the stream key): this process's counts, and the fleet's backlog read from
 * Redis at collection time (never on the request path). Without a provider or `@opentelemetry/api`: nothing.
 * Returns what stops observing (at `close()`).
 */
export function instrumentRedisOutbox(
  outbox: RedisOutbox,
  option: MeterProviderLike | false | undefined,
): (() => void) | undefined {
  const provider = resolveMeterProvider(option);
  if (!provider) return undefined;
  const meter = provider.getMeter('@fluxrate/redis');
  const attributes = { 'fluxrate.redis.stream': outbox.options.stream };
  const local = LOCAL.map(([kind, name, unit, key, description]) => {
    const instrument = meter[`createObservable${kind}`](name, { unit, description });
    return [instrument, key] as const;
  });
  const fleet = FLEET.map(([name, unit, read, description]) => {
    return [meter.createObservableGauge(name, { unit, description }), read] as const;
  });
  const observables: Observable[] = [...local.map((row) => row[0]), ...fleet.map((row) => row[0])];
  const callback = async (result: BatchResult) => {
    const counts = outbox.localStats();
    for (const [instrument, key] of local) result.observe(instrument, counts[key], attributes);
    const stream = await withTimeout(outbox.stats());
    if (!stream) return;
    for (const [instrument, read] of fleet) {
      const value = read(stream);
      if (value !== undefined) result.observe(instrument, value, attributes);
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
