import type { Aggregation, QueuedEvent, StoredEvent } from '@fluxrate/core';

/** A stream entry as read: the stored event and the body built at admission, if there was one. */
export interface DecodedEntry {
  stored: StoredEvent;
  body: string | undefined;
  /**
   * The meter's aggregation when the entry may be merged by `fluxrate-forwarder --aggregate` (its key is
   * unique by construction and it is no aggregate); undefined otherwise, and for entries written before
   * the flag existed.
   */
  aggregation: Aggregation | undefined;
}

const AGGREGATIONS: ReadonlySet<unknown> = new Set(['SUM', 'MAX', 'UNIQUE_COUNT', 'LAST']);

/**
 * Mergeable downstream: a key unique by construction, and not an aggregate already (the apps' stage keys
 * aggregates `agg_…`; the forwarder writes its own with `aggregatable: false`).
 */
const mergeable = (event: QueuedEvent): boolean => event.unique && !event.idempotencyKey.startsWith('agg_');

/**
 * The entry's one value: a JSON array of the `StoredEvent` fields, the body built at admission and the
 * aggregation flag (the meter's aggregation, or null: not mergeable). One value per entry (not a field
 * per property) keeps the append cheap for the app: ioredis encodes one argument per event instead of fourteen.
 */
export function encodeEvent(event: QueuedEvent, aggregatable = mergeable(event)): string {
  return JSON.stringify([
    event.meter.name,
    event.meter.token,
    event.customerId,
    event.quantity,
    event.timestamp,
    event.idempotencyKey,
    event.metadataJson ?? null,
    event.body || null,
    aggregatable ? event.meter.aggregation : null,
  ]);
}

/** Reads an entry's flat field list (`e`, json) back; undefined when it is not a well-formed event. */
export function decodeEntry(fields: string[]): DecodedEntry | undefined {
  if (fields[0] !== 'e' || typeof fields[1] !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(fields[1]);
  } catch {
    return undefined;
  }
  // 8 values: written before the aggregation flag (never merged).
  if (!Array.isArray(value) || (value.length !== 8 && value.length !== 9)) return undefined;
  const [meter, token, customerId, quantity, timestamp, idempotencyKey, metadataJson, body, flag] = value;
  const text = (v: unknown): v is string => typeof v === 'string' && v !== '';
  if (!text(meter) || !text(token) || !text(customerId) || !text(idempotencyKey)) return undefined;
  if (typeof quantity !== 'number' || !(quantity > 0) || typeof timestamp !== 'number') return undefined;
  if (metadataJson !== null && typeof metadataJson !== 'string') return undefined;
  return {
    stored: {
      meter,
      token,
      customerId,
      quantity,
      timestamp,
      idempotencyKey,
      metadataJson: metadataJson ?? undefined,
    },
    body: typeof body === 'string' ? body : undefined,
    aggregation: AGGREGATIONS.has(flag) ? (flag as Aggregation) : undefined,
  };
}
