import { readFileSync } from 'node:fs';
import type { DeadLetterRecord } from './dead-letter.js';
import { createTracker } from './tracker.js';
import type { Logger, UsageEvent } from './types.js';

export interface ReplayOptions {
  file: string;
  apiKey?: string;
  baseUrl?: string;
  /** Meter name -> corrected token. */
  meters?: Record<string, string>;
  dryRun?: boolean;
  /** How long to keep retrying before giving up on the replay, in ms. Default: 60 000. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface ReplayResult {
  /** Distinct events in the file (by idempotency key). */
  events: number;
  delivered: number;
  failed: { event: UsageEvent; status?: number; detail?: string }[];
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
  const result: ReplayResult = { events: records.length, delivered: 0, failed: [], plan };
  if (options.dryRun || records.length === 0) return result;

  const tracker = createTracker({
    apiKey: options.apiKey,
    baseUrl: options.baseUrl,
    meters,
    retry: { maxRetryTime: options.timeoutMs ?? 60_000 },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  tracker.on('delivered', () => {
    result.delivered++;
  });
  tracker.on('failed', ({ event, status, detail }) => {
    result.failed.push({
      event,
      ...(status === undefined ? {} : { status }),
      ...(detail === undefined ? {} : { detail }),
    });
  });
  for (const { event } of records) {
    tracker.track({
      meter: event.meter,
      customerId: event.customerId,
      quantity: event.quantity,
      timestamp: event.timestamp,
      idempotencyKey: event.idempotencyKey,
      ...(event.metadata ? { metadata: event.metadata } : {}),
    });
  }
  await tracker.flush();
  await tracker.shutdown({ timeoutMs: 5_000 });
  return result;
}
