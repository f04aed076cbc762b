import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Runs a Lua script by SHA, loading it on NOSCRIPT (after a Redis restart the script cache is empty). */
export function scriptRunner(
  source: string,
): (redis: Redis, key: string | string[], args: string[]) => Promise<unknown> {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis, key, args) => {
    const keys = typeof key === 'string' ? [key] : key;
    try {
      return await redis.call('EVALSHA', sha, String(keys.length), ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return redis.call('EVAL', source, String(keys.length), ...keys, ...args);
    }
  };
}
