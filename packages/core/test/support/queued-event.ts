import type { QueuedEvent } from '../../src/contracts/event.js';
import { reviveEvent } from '../../src/outbox/outbox-host.js';

/** A live event as the outbox and dispatcher see it, keyed `key`; its body is the key (what tests assert on). */
export const queuedEvent = (key: string, notBefore = 0): QueuedEvent => ({
  ...reviveEvent(
    {
      meter: 'api_calls',
      token: 't',
      customerId: 'acme',
      quantity: 1,
      timestamp: 0,
      idempotencyKey: key,
      metadataJson: undefined,
    },
    new Map(),
  ),
  notBefore,
  body: key,
});
