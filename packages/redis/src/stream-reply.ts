/** A stream entry as Redis returns it: its id and flat field/value list. */
export interface RawEntry {
  id: string;
  fields: string[];
}

/**
 * Entries of an `XREADGROUP` reply for one stream, or none for null. RESP2 (ioredis 5) answers
 * `[[stream, entries]]`; RESP3 (ioredis 6's default, legacy mapping) a map flattened to `[stream, entries]`.
 */
export function entriesOfRead(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const entries = typeof reply[0] === 'string' ? reply[1] : (reply[0] as unknown[])[1];
  return entriesOf(entries as unknown[]);
}

/** Entries of an `XAUTOCLAIM` reply `[cursor, entries, deletedIds]`, with the next cursor. */
export function entriesOfClaim(reply: unknown): { cursor: string; entries: RawEntry[] } {
  const [cursor, entries] = reply as [string, unknown[]];
  return { cursor, entries: entriesOf(entries) };
}

function entriesOf(list: unknown[]): RawEntry[] {
  const out: RawEntry[] = [];
  for (const item of list ?? []) {
    const [id, fields] = item as [string, string[] | null];
    // A null field list is an id whose entry was deleted meanwhile: nothing to deliver.
    if (typeof id === 'string' && Array.isArray(fields)) out.push({ id, fields });
  }
  return out;
}
