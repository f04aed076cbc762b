import type { Aggregation } from './types.js';

/** The parts of an event an aggregation needs. */
export interface AggregatableEvent {
  quantity: number;
  ts: number;
  seq: number;
  metadata: Record<string, unknown>;
}

/** Running state for every aggregation at once, so one pass serves any meter. */
export interface Accumulator {
  count: number;
  sum: number;
  max: number;
  users: Set<string>;
  lastTs: number;
  lastSeq: number;
  last: number;
}

export function newAccumulator(): Accumulator {
  return { count: 0, sum: 0, max: 0, users: new Set(), lastTs: -Infinity, lastSeq: -1, last: 0 };
}

export function accumulate(acc: Accumulator, event: AggregatableEvent): void {
  acc.count += 1;
  acc.sum += event.quantity;
  if (acc.count === 1 || event.quantity > acc.max) acc.max = event.quantity;
  const userId = event.metadata.user_id;
  if (userId !== undefined && userId !== null) acc.users.add(String(userId));
  // LAST is the latest by event timestamp; arrival order breaks ties.
  if (event.ts > acc.lastTs || (event.ts === acc.lastTs && event.seq > acc.lastSeq)) {
    acc.lastTs = event.ts;
    acc.lastSeq = event.seq;
    acc.last = event.quantity;
  }
}

export function aggregatedValue(acc: Accumulator, aggregation: Aggregation): number {
  switch (aggregation) {
    case 'SUM':
      // Fluxrate sums decimals; trim binary float noise such as 0.1 + 0.2 = 0.30000000000000004.
      return Number(acc.sum.toPrecision(15));
    case 'MAX':
      return acc.max;
    case 'UNIQUE_COUNT':
      return acc.users.size;
    case 'LAST':
      return acc.last;
  }
}

export function aggregate(events: Iterable<AggregatableEvent>, aggregation: Aggregation): number {
  const acc = newAccumulator();
  for (const event of events) accumulate(acc, event);
  return aggregatedValue(acc, aggregation);
}

export type GroupBy = 'hour' | 'day' | 'week' | 'month';
export const GROUP_BY: readonly GroupBy[] = ['hour', 'day', 'week', 'month'];

/** Start of the UTC period containing `ts` (weeks start on Monday, as Postgres date_trunc does). */
export function periodStart(ts: number, groupBy: GroupBy): number {
  const d = new Date(ts);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (groupBy) {
    case 'hour':
      return Date.UTC(y, m, day, d.getUTCHours());
    case 'day':
      return Date.UTC(y, m, day);
    case 'week':
      return Date.UTC(y, m, day - ((d.getUTCDay() + 6) % 7));
    case 'month':
      return Date.UTC(y, m, 1);
  }
}

export interface GroupedUsage {
  period: string;
  usage: number;
  event_count: number;
}

/** Non-empty periods only, oldest first, each aggregated on its own. */
export function groupUsage(
  events: AggregatableEvent[],
  aggregation: Aggregation,
  groupBy: GroupBy,
): GroupedUsage[] {
  const groups = new Map<number, Accumulator>();
  for (const event of events) {
    const key = periodStart(event.ts, groupBy);
    let acc = groups.get(key);
    if (!acc) {
      acc = newAccumulator();
      groups.set(key, acc);
    }
    accumulate(acc, event);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([key, acc]) => ({
      period: new Date(key).toISOString(),
      usage: aggregatedValue(acc, aggregation),
      event_count: acc.count,
    }));
}
