import type { OutboxHost, QueuedEvent, StoredEvent } from '@fluxrate/core';
import { reviveEvent } from '@fluxrate/core/adapter';

let counter = 0;

/** A test event as admission builds it (a unique key fixed, a body built), ready for any outbox. */
export function outboxEvent(customerId = 'acme', quantity = 1): QueuedEvent {
  counter++;
  const e: QueuedEvent = reviveEvent(
    {
      meter: 'api_calls',
      token: '11111111-2222-4333-8444-555555555555',
      customerId,
      quantity,
      timestamp: 1_700_000_000_000 + counter,
      idempotencyKey: `evt_${process.pid}_${counter}_${Math.random().toString(36).slice(2)}`,
      metadataJson: counter % 2 === 0 ? '{"region":"eu"}' : undefined,
    },
    new Map(),
  );
  e.generation = 0;
  e.body = JSON.stringify({ customer_external_id: customerId, quantity, idempotency_key: e.idempotencyKey });
  return e;
}

/** An `OutboxHost` recording every call the outbox makes, standing in for the tracker. */
export class RecordingHost implements OutboxHost {
  readonly revived: { stored: StoredEvent; own: boolean }[] = [];
  readonly handed: QueuedEvent[] = [];
  readonly droppedEvents: QueuedEvent[] = [];
  readonly faults: { kind: string; error: unknown }[] = [];
  readonly corrupted: string[] = [];
  wakes = 0;

  revive(stored: StoredEvent, own: boolean): QueuedEvent {
    this.revived.push({ stored, own });
    return { ...reviveEvent(stored, new Map()), generation: 0 };
  }
  wake(): void {
    this.wakes++;
  }
  handedOff(events: QueuedEvent[]): void {
    this.handed.push(...events);
  }
  dropped(events: QueuedEvent[]): void {
    this.droppedEvents.push(...events);
  }
  corrupt(raw: string): void {
    this.corrupted.push(raw);
  }
  fault(kind: string, error: unknown): void {
    this.faults.push({ kind, error });
  }
  /** Faults by kind (the tracker logs each kind once). */
  faultKinds(): string[] {
    return [...new Set(this.faults.map((f) => f.kind))];
  }
}
