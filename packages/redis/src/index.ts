export { type Forwarder, type ForwarderOptions, type ForwarderStats, startForwarder } from './forwarder.js';
export { RedisOutbox, redisOutbox } from './redis-outbox.js';
export type { RedisOutboxOptions, RedisOutboxStats } from './types.js';
