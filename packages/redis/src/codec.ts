import type { QueuedEvent, StoredEvent } from '@fluxrate/core';

/** A stream entry as read: the stored event and the body built at admission, if there was one. */
export interface DecodedEntry {
  stored: StoredEvent;
  body: string | undefined;
}

/**
 * The entry's one value: a JSON array of the `StoredEvent` fields and the body built at admission.
 * One value per entry (not a field per property) keeps the append cheap for the app: ioredis encodes
 * one argument per event instead of fourteen.
 */
export function encodeEvent(event: QueuedEvent): string {
  return JSON.stringify([
    event.meter.name,
    event.meter.token,
    event.customerId,
    event.quantity,
    event.timestamp,
    event.idempotencyKey,
    event.metadataJson ?? null,
    event.body || null,
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
  if (!Array.isArray(value) || value.length !== 8) return undefined;
  const [meter, token, customerId, quantity, timestamp, idempotencyKey, metadataJson, body] = value;
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
  };
}
