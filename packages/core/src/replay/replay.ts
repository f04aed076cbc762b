import { readFileSync } from 'node:fs';
import type { Logger, UsageEvent } from '../contracts/types.js';
import type { DeadLetterRecord } from '../pipeline/dead-letter.js';
import { createTracker } from '../tracker.js';

export interface ReplayOptions {
  file: string;
  apiKey?: string;
  baseUrl?: string;
  /** Meter name -> corrected token. */
  meters?: Record<string, string>;
  dryRun?: boolean;
  /** How long to keep retrying before giving up on the replay, in ms. Default: 60 000. */
  timeoutMs?: number;
  /** Dead letters older than this (ms, by their timestamp) are not sent: they fail `too-old`. Default: off. */
  maxEventAgeMs?: number;
  logger?: Logger;
}

/** An event the replay did not deliver, and why. */
export interface ReplayMiss {
  event: UsageEvent;
  reason: string;
  status?: number;
  detail?: string;
}

export interface ReplayResult {
  /** Distinct events in the file (by idempotency key). */
  events: number;
  delivered: number;
  /** Definitively refused: Fluxrate rejected them (4xx) or they are invalid. Replaying again will not help. */
  failed: ReplayMiss[];
  /**
   * Neither delivered nor refused: still failing (5xx, network) when the replay gave up, or left at the
   * shutdown deadline. Replaying again later may deliver them; `delivered + failed + unsettled = events`.
   */
  unsettled: ReplayMiss[];
  /** Of `failed`: skipped unsent as older than `maxEventAgeMs` (reason `too-old`). */
  tooOld: number;
  /** The events as they would be (or were) sent, with the corrected meter tokens. */
  plan: { idempotencyKey: string; meter: string; meterToken: string; customerId: string; quantity: number }[];
}

/** Reads a dead-letter file; the last line per idempotency key wins, malformed lines are reported. */
export function readDeadLetters(file: string): DeadLetterRecord[] {
  const byKey = new Map<string, DeadLetterRecord>();
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let record: DeadLetterRecord;
    try {
      record = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${index + 1}: not a JSON line`);
    }
    // A spool row that could not be read back is kept verbatim (`raw`) for a human; it has no event to replay.
    if ((record as { reason?: string })?.reason === 'corrupt') return;
    if (!record?.event?.idempotencyKey) throw new Error(`${file}:${index + 1}: no event.idempotencyKey`);
    byKey.set(record.event.idempotencyKey, record);
  });
  return [...byKey.values()];
}

/**
 * Replays dead letters with their original idempotency keys, so replaying twice never double-bills:
 * Fluxrate deduplicates the second delivery.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const records = readDeadLetters(options.file);
  const meters: Record<string, string> = {};
  for (const { event } of records) meters[event.meter] = options.meters?.[event.meter] ?? event.meterToken;
  const plan = records.map(({ event }) => ({
    idempotencyKey: event.idempotencyKey,
    meter: event.meter,
    meterToken: meters[event.meter]!,
    customerId: event.customerId,
    quantity: event.quantity,
  }));
  const result: ReplayResult = {
    events: records.length,
    delivered: 0,
    failed: [],
    unsettled: [],
    tooOld: 0,
    plan,
  };
  if (options.dryRun || records.length === 0) return result;

  const tracker = createTracker({
    apiKey: options.apiKey,
    baseUrl: options.baseUrl,
    meters,
    // An operator is waiting: back off at most 5 s between attempts (the tracker default is 30 s).
    retry: { maxRetryTime: options.timeoutMs ?? 60_000, maxTimeout: 5_000 },
    ...(options.maxEventAgeMs === undefined ? {} : { maxEventAgeMs: options.maxEventAgeMs }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const miss = (event: UsageEvent, reason: string, status?: number, detail?: string): ReplayMiss => ({
    event,
    reason,
    ...(status === undefined ? {} : { status }),
    ...(detail === undefined ? {} : { detail }),
  });
  const ended = new Set<string>();
  tracker.on('delivered', ({ event }) => {
    ended.add(event.idempotencyKey);
    result.delivered++;
  });
  tracker.on('failed', ({ event, reason, status, detail }) => {
    ended.add(event.idempotencyKey);
    if (reason === 'too-old') result.tooOld++;
    // A refusal or the age guard is definitive; giving up on retries is not (Fluxrate may be back later).
    (reason === 'retries-exhausted' ? result.unsettled : result.failed).push(
      miss(event, reason, status, detail),
    );
  });
  tracker.on('dropped', ({ event, reason }) => {
    ended.add(event.idempotencyKey);
    result.unsettled.push(miss(event, reason));
  });
  for (const { event } of records) {
    try {
      tracker.track({
        meter: event.meter,
        customerId: event.customerId,
        quantity: event.quantity,
        timestamp: event.timestamp,
        idempotencyKey: event.idempotencyKey,
        ...(event.metadata ? { metadata: event.metadata } : {}),
      });
    } catch (error) {
      ended.add(event.idempotencyKey);
      result.failed.push(miss(event, 'invalid', undefined, (error as Error).message));
    }
  }
  // Wait for the outcome of every event, whatever keeps (or does not keep) the process alive meanwhile.
  const keepAlive = setInterval(() => undefined, 1_000);
  try {
    await tracker.flush();
    await tracker.shutdown({ timeoutMs: 5_000 });
  } finally {
    clearInterval(keepAlive);
  }
  // Anything with no outcome at all is unsettled too: the counts always add up to `events`.
  for (const { event } of records) {
    if (!ended.has(event.idempotencyKey)) result.unsettled.push(miss(event, 'no-outcome'));
  }
  return result;
}
