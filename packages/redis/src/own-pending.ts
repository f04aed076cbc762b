import type { Redis } from 'ioredis';
import type { ResolvedRedisOptions } from './options.js';
import { entriesOfRead, type RawEntry } from './stream-reply.js';

/**
 * This consumer's own pending entries (`XREADGROUP … 0`, the history read of Redis Streams), up to `max`,
 * without the ids in `skip`. After a lost connection it finds the entries of a read whose reply never
 * arrived (Redis recorded them as delivered to us, we never saw them): without it they would wait
 * `claimIdleMs` for a takeover, the stream's length above the backlog meanwhile.
 */
export async function readOwnPending(
  reader: Redis,
  options: ResolvedRedisOptions,
  max: number,
  skip: (id: string) => boolean,
): Promise<RawEntry[]> {
  const { stream, group, consumer } = options;
  const out: RawEntry[] = [];
  let after = '0';
  while (out.length < max) {
    const reply = await reader.call(
      'XREADGROUP',
      'GROUP',
      group,
      consumer,
      'COUNT',
      String(Math.min(500, max - out.length)),
      'STREAMS',
      stream,
      after,
    );
    const entries = entriesOfRead(reply);
    if (entries.length === 0) break;
    for (const entry of entries) if (!skip(entry.id)) out.push(entry);
    after = entries[entries.length - 1]!.id;
  }
  return out;
}
