import type { QueuedEvent, StoredEvent } from '@fluxrate/core';

/** A stream entry as read: the stored event and the body built at admission, if there was one. */
export interface DecodedEntry {
  stored: StoredEvent;
  body: string | undefined;
}

/** The entry's field/value list: the `StoredEvent` fields, then the body when already built. */
export function encodeEvent(event: QueuedEvent): string[] {
  const fields = [
    'meter',
    event.meter.name,
    'token',
    event.meter.token,
    'customer',
    event.customerId,
    'quantity',
    String(event.quantity),
    'ts',
    String(event.timestamp),
    'key',
    event.idempotencyKey,
  ];
  if (event.metadataJson !== undefined) fields.push('metadata', event.metadataJson);
  if (event.body) fields.push('body', event.body);
  return fields;
}

/** Reads an entry's flat field list back; undefined when a required field is missing or malformed. */
export function decodeEntry(fields: string[]): DecodedEntry | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const meter = map.get('meter');
  const token = map.get('token');
  const customerId = map.get('customer');
  const idempotencyKey = map.get('key');
  const quantity = Number(map.get('quantity'));
  const timestamp = Number(map.get('ts'));
  if (!meter || !token || !customerId || !idempotencyKey) return undefined;
  if (!(quantity > 0) || !Number.isFinite(timestamp)) return undefined;
  return {
    stored: {
      meter,
      token,
      customerId,
      quantity,
      timestamp,
      idempotencyKey,
      metadataJson: map.get('metadata'),
    },
    body: map.get('body'),
  };
}
