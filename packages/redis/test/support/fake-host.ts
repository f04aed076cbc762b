import type { OutboxHost, QueuedEvent, StoredEvent } from '@fluxrate/core';
import { reviveEvent } from '@fluxrate/core/adapter';

let counter = 0;

/** A test event as admission builds it (key fixed, body not yet built). */
export function event(customerId = 'acme', quantity = 1): QueuedEvent {
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

/** A tiny host recording every call the outbox makes, standing in for the tracker. */
export class FakeHost implements OutboxHost {
  readonly revived: { stored: StoredEvent; own: boolean }[] = [];
  readonly handed: QueuedEvent[] = [];
  readonly droppedEvents: QueuedEvent[] = [];
  readonly faults: { kind: string; error: unknown }[] = [];
  wakes = 0;
  #wakeWaiters: (() => void)[] = [];

  revive(stored: StoredEvent, own: boolean): QueuedEvent {
    this.revived.push({ stored, own });
    return { ...reviveEvent(stored, new Map()), generation: 0 };
  }
  wake(): void {
    this.wakes++;
    for (const resolve of this.#wakeWaiters.splice(0)) resolve();
  }
  handedOff(events: QueuedEvent[]): void {
    this.handed.push(...events);
  }
  dropped(events: QueuedEvent[]): void {
    this.droppedEvents.push(...events);
  }
  readonly corrupted: string[] = [];
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

/** Polls until `test` holds (bounded). */
export async function until(test: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
