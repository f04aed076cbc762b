import type { QueuedEvent } from '../contracts/event.js';
import type { ResolvedMeter } from '../contracts/meter.js';
import type { OutboxHost, StoredEvent } from '../contracts/outbox.js';
import type { Ledger } from '../pipeline/ledger.js';

/**
 * A stored event, live again, with its original key; a meter no longer configured is sent by its token.
 * It joins no flush generation here: `open()`'s own leftovers are adopted by the tracker, while another
 * process's events (`own: false`) are delivered and counted without any flush of ours waiting on them.
 */
export function reviveEvent(stored: StoredEvent, meters: Map<string, ResolvedMeter>): QueuedEvent {
  const meter = meters.get(stored.meter) ?? {
    name: stored.meter,
    token: stored.token,
    aggregation: 'SUM' as const,
    id: undefined,
  };
  return {
    meter,
    customerId: stored.customerId,
    quantity: stored.quantity,
    timestamp: stored.timestamp,
    idempotencyKey: stored.idempotencyKey,
    metadataJson: stored.metadataJson,
    unique: true,
    attempts: 0,
    firstAttemptAt: 0,
    notBefore: 0,
    failedAt: 0,
    generation: -1,
    body: '',
  };
}

/** What the tracker offers its outbox: revive stored events, wake the dispatcher, account for the rest. */
export function outboxHost(ledger: Ledger, meters: Map<string, ResolvedMeter>, wake: () => void): OutboxHost {
  return {
    revive: (stored) => reviveEvent(stored, meters),
    wake,
    handedOff: (events) => {
      ledger.handedOff(events);
      ledger.checkIdle();
    },
    dropped: (events, reason) => {
      for (const event of events) ledger.dropped(event, reason, true);
      ledger.checkIdle();
    },
    fault: (kind, error) => ledger.fault(kind, error),
    corrupt: (raw, error) => ledger.corrupt(raw, error),
  };
}
