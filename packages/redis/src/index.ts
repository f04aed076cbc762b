export {
  type Forwarder,
  type ForwarderAggregateOptions,
  type ForwarderOptions,
  type ForwarderStats,
  startForwarder,
} from './forwarder.js';
export type { AggregateStats } from './forwarder-aggregate.js';
export { RedisOutbox, redisOutbox } from './redis-outbox.js';
export type {
  RedisOutboxLocalStats,
  RedisOutboxOptions,
  RedisOutboxStats,
  RedisStreamStats,
} from './types.js';
