export { RedisOutbox, redisOutbox } from './redis-outbox.js';
export type { RedisOutboxOptions, RedisOutboxStats } from './types.js';
