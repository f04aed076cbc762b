import type { ResolvedMeter } from './meter.js';

/** An accepted event as it travels admission -> outbox -> dispatcher: compact, retry state as plain data. */
export interface QueuedEvent {
  meter: ResolvedMeter;
  customerId: string;
  quantity: number;
  /** Epoch ms of the usage. */
  timestamp: number;
  idempotencyKey: string;
  /** Metadata snapshot taken at `track()`, serialized once (so later mutation by the caller cannot change it). */
  metadataJson: string | undefined;
  /** The key cannot repeat (generated, or the route meter's request UUID), so merging it loses no dedupe. */
  unique: boolean;
  /** Attempts made so far. */
  attempts: number;
  /** Epoch ms of the first attempt (0 before). */
  firstAttemptAt: number;
  /** Epoch ms before which no retry is sent. */
  notBefore: number;
  /** Epoch ms its last attempt failed (0 before): did Fluxrate answer others since? (retry-policy.ts `backoffStep`) */
  failedAt: number;
  /** Flush generation the event belongs to; -1 for an event another process appended (no flush waits on it). */
  generation: number;
  /** Request body: '' until the event's first attempt builds it (delivery/event-body.ts), then sent verbatim on every retry. */
  body: string;
}
