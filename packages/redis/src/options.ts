import { hostname } from 'node:os';
import { FluxrateConfigError, type MeterProviderLike } from '@fluxrate/core';
import type { RedisOutboxOptions } from './types.js';

export interface ResolvedRedisOptions {
  stream: string;
  group: string;
  consumer: string;
  consume: boolean;
  maxLen: number;
  claimIdleMs: number;
  prefetch: number;
  batchSize: number;
  appendIntervalMs: number;
  closeTimeoutMs: number;
  meterProvider: MeterProviderLike | false | undefined;
}

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new FluxrateConfigError(`redisOutbox.${name}`, `expected a positive integer, got ${String(value)}`);
  }
  return value;
}

function nonNegativeInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new FluxrateConfigError(`redisOutbox.${name}`, `expected an integer >= 0, got ${String(value)}`);
  }
  return value;
}

function meterProvider(value: unknown): MeterProviderLike | false | undefined {
  if (value === undefined || value === false) return value;
  if (typeof (value as { getMeter?: unknown } | null)?.getMeter !== 'function') {
    throw new FluxrateConfigError(
      'redisOutbox.meterProvider',
      'must be an OpenTelemetry MeterProvider or false',
    );
  }
  return value as MeterProviderLike;
}

function name(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new FluxrateConfigError(`redisOutbox.${option}`, 'expected a non-empty string');
  }
  return value;
}

/** See `RedisOutboxOptions.appendIntervalMs`. */
export const DEFAULT_APPEND_INTERVAL_MS = 5;

/** Validates once, at construction, naming the option at fault. */
export function resolveRedisOptions(options: RedisOutboxOptions): ResolvedRedisOptions {
  if (typeof options !== 'object' || options === null) {
    throw new FluxrateConfigError('redisOutbox', 'expected an options object with `redis`');
  }
  const { redis } = options;
  if (typeof redis === 'string') {
    if (!/^rediss?:\/\//.test(redis)) {
      throw new FluxrateConfigError('redisOutbox.redis', 'a URL must start with redis:// or rediss://');
    }
  } else if (typeof redis !== 'object' || redis === null || typeof redis.duplicate !== 'function') {
    throw new FluxrateConfigError('redisOutbox.redis', 'expected an ioredis client or a redis:// URL');
  }
  if (options.consume !== undefined && typeof options.consume !== 'boolean') {
    throw new FluxrateConfigError('redisOutbox.consume', 'expected a boolean');
  }
  const random = Math.random().toString(36).slice(2, 8);
  return {
    stream: name('stream', options.stream, 'fluxrate:events'),
    group: name('group', options.group, 'fluxrate'),
    consumer: name('consumer', options.consumer, `${hostname()}-${process.pid}-${random}`),
    consume: options.consume ?? true,
    maxLen: positiveInt('maxLen', options.maxLen, 1_000_000),
    claimIdleMs: positiveInt('claimIdleMs', options.claimIdleMs, 30_000),
    prefetch: positiveInt('prefetch', options.prefetch, 256),
    batchSize: positiveInt('batchSize', options.batchSize, 1_000),
    appendIntervalMs: nonNegativeInt(
      'appendIntervalMs',
      options.appendIntervalMs,
      DEFAULT_APPEND_INTERVAL_MS,
    ),
    closeTimeoutMs: positiveInt('closeTimeoutMs', options.closeTimeoutMs, 5_000),
    meterProvider: meterProvider(options.meterProvider),
  };
}
