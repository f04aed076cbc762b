import { outboxContract, redisSkipReason, useRedis } from '@fluxrate/testkit';
import { describe } from 'vitest';
import { redisOutbox } from '../src/index.js';

const skip = redisSkipReason();

// The suite core's memory and SQLite outboxes run (packages/core/test/outbox-contract.test.ts).
describe.skipIf(skip)('redisOutbox against a real redis-server', () => {
  const redis = useRedis();
  let n = 0;
  outboxContract('Redis Streams', () => {
    const stream = `contract:${++n}`;
    return {
      durable: true,
      outbox: () => redisOutbox({ redis: redis.server.url, stream, claimIdleMs: 60_000 }),
    };
  });
});
