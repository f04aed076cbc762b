import type { QueuedEvent } from './event.js';
import type { UsageEvent } from './types.js';

/** The public view of an event for emitted payloads and reports. */
export function toUsageEvent(event: QueuedEvent): UsageEvent {
  const out: UsageEvent = {
    meter: event.meter.name,
    meterToken: event.meter.token,
    customerId: event.customerId,
    quantity: event.quantity,
    timestamp: new Date(event.timestamp).toISOString(),
    idempotencyKey: event.idempotencyKey,
  };
  if (event.metadataJson !== undefined) out.metadata = JSON.parse(event.metadataJson);
  return out;
}
