import type { Redis } from 'ioredis';
import type { RedisStreamStats } from './types.js';

/** What the whole fleet holds: the stream's length and oldest entry, and the group's pending count and lag. */
export async function streamStats(redis: Redis, stream: string, group: string): Promise<RedisStreamStats> {
  const [length, first, groups] = await Promise.all([
    redis.call('XLEN', stream) as Promise<number>,
    redis.call('XRANGE', stream, '-', '+', 'COUNT', '1') as Promise<[string, unknown][]>,
    (redis.call('XINFO', 'GROUPS', stream) as Promise<unknown[][]>).catch(() => []),
  ]);
  let pending = 0;
  let lag: number | undefined;
  for (const info of groups) {
    const map = new Map<string, unknown>();
    for (let i = 0; i + 1 < info.length; i += 2) map.set(String(info[i]), info[i + 1]);
    if (map.get('name') !== group) continue;
    pending = Number(map.get('pending') ?? 0);
    const rawLag = map.get('lag');
    lag = rawLag === null || rawLag === undefined ? undefined : Number(rawLag);
  }
  const firstId = first[0]?.[0];
  const oldestEntryAgeMs = firstId ? Math.max(0, Date.now() - Number(firstId.split('-')[0])) : 0;
  return { streamLength: Number(length), pending, lag, oldestEntryAgeMs };
}
