import type { Redis } from 'ioredis';

/** What the whole fleet holds: the stream's length, and the group's pending count and lag. */
export async function streamStats(
  redis: Redis,
  stream: string,
  group: string,
): Promise<{ streamLength: number; pending: number; lag: number | undefined }> {
  const [length, groups] = await Promise.all([
    redis.call('XLEN', stream) as Promise<number>,
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
  return { streamLength: Number(length), pending, lag };
}
