import type { QueuedEvent } from './event.js';

/**
 * The storage seam between admission and the dispatcher. It holds accepted events with their fixed
 * idempotency keys and prebuilt bodies, says which are due, and learns how each attempt ended.
 * Memory (default) and SQLite (`spool`) live in core; `@fluxrate/redis` implements the same contract.
 * The dispatcher never knows which outbox it has.
 *
 * Contract:
 * - `append` is synchronous and does no I/O on the caller's stack; a durable outbox persists what was
 *   appended by the end of the event-loop turn (one batch per turn).
 * - `lease` hands out due events; a leased event is not handed out again until it is settled.
 * - `settle` ends a lease: delivered / failed / dropped remove the event, `retry` makes it due again at `at`
 *   (where it waits is the outbox's business: a heap in memory, a column in SQLite, a stream in Redis).
 * - `size` counts every event held (waiting, due and leased), and is what `maxQueueSize` bounds.
 * - Faults in storage never throw into `append`/`lease`/`settle`: they are reported through `host.fault`.
 */
export interface Outbox {
  /** `memory`, `sqlite`, `redis`: for stats and log lines. */
  readonly kind: string;
  /**
   * Called once, before anything else. Returns the events an earlier process left behind (already held by
   * the outbox and due now), so the tracker can count them as outstanding. An outbox that recovers later or
   * elsewhere (Redis: stale entries of dead consumers) returns none and hands them out through `lease`.
   */
  open(host: OutboxHost): QueuedEvent[];
  append(event: QueuedEvent): void;
  /** Up to `max` events due at `now` (epoch ms), oldest first. */
  lease(max: number, now: number): QueuedEvent[];
  /**
   * Epoch ms at which the earliest event waiting for a retry becomes due; undefined when none waits.
   * Fresh (never attempted) events are always due and do not count here.
   */
  nextDueAt(): number | undefined;
  settle(event: QueuedEvent, settlement: Settlement): void;
  /**
   * Optional: epoch ms of the usage timestamp of the oldest event held (waiting, due or leased), undefined
   * when none is; read at every metrics collection, so it must not scan (memory, SQLite: `oldest-held.ts`).
   */
  oldestTimestamp?(): number | undefined;
  /** Shutdown began: every event waiting for a retry later than `at` becomes due at `at`. */
  hasten(at: number): void;
  readonly size: number;
  /**
   * At the shutdown deadline: removes and returns every event not leased. A durable outbox keeps them
   * stored for the next process (they are reported as left, not lost).
   */
  evict(): QueuedEvent[];
  /**
   * Optional. Shutdown began: stop taking in events from elsewhere (a Redis consumer stops reading the
   * stream), so the drain can end; `append` keeps working until `close`. Without it, a consuming Redis
   * outbox keeps reading until the shutdown deadline.
   */
  stop?(): void;
  /** Writes what is pending and releases resources. Called once, after the last settle. */
  close(): Promise<void>;
  /**
   * Optional (durable outboxes): keeps an aggregation input durable until its window closes. Without it,
   * open aggregation windows live in memory only.
   */
  hold?(input: QueuedEvent): void;
  /** Optional, with `hold`: a window closed: deletes its held inputs and appends its aggregates, atomically. */
  release?(inputKeys: string[], aggregates: QueuedEvent[]): void;
  /**
   * Optional: a delivery pause shared by every process using this storage (Redis: one key for the fleet).
   * The dispatcher calls `pause` (epoch ms it ends) when Fluxrate answers 429 with `Retry-After` and most
   * recent answers were 429s (rate-limit-share.ts), and leases nothing while `pausedUntil()` is in the future. Synchronous: a shared outbox answers from what it last
   * read. Without them (memory, SQLite) each event honours its own `Retry-After` and the others go on.
   */
  pause?(untilMs: number): void;
  pausedUntil?(now: number): number;
  /** Optional, with `hold`: inputs of windows an earlier process did not close (called once, after `open`). */
  recoverHeld?(): QueuedEvent[];
}

export type Settlement =
  | { kind: 'delivered' }
  | { kind: 'failed' }
  | { kind: 'dropped' }
  | { kind: 'retry'; at: number };

/** A plain, serialisable event: what a durable outbox stores and `host.revive` turns back into a live event. */
export interface StoredEvent {
  meter: string;
  token: string;
  customerId: string;
  quantity: number;
  /** Epoch ms of the usage. */
  timestamp: number;
  idempotencyKey: string;
  metadataJson: string | undefined;
}

/** What the tracker offers its outbox. */
export interface OutboxHost {
  /**
   * Rebuilds a live event (meter, body) from a stored one. `own: false` marks an event another process
   * appended (a consumer group's entry): it is delivered and counted, but no flush of this process waits on it.
   */
  revive(stored: StoredEvent, own: boolean): QueuedEvent;
  /** Events became due outside a settle (read from Redis, a retry time passed in storage): run the dispatcher. */
  wake(): void;
  /**
   * Events this process appended that the fleet now owns (a Redis outbox: once in the stream, any consumer
   * of the group may deliver them, this process included, as revived `own: false` events): they leave this
   * tracker's outstanding count once storage has confirmed them, so `flush()` means "durably stored".
   */
  handedOff(events: QueuedEvent[]): void;
  /**
   * Optional. Appended events that storage refused after all (a Redis stream at its `maxLen`): the tracker
   * counts and emits them as dropped and they leave the outstanding count. Without it, the outbox reports
   * them through `fault` and `handedOff` (counted by the outbox, not emitted per event).
   */
  dropped?(events: QueuedEvent[], reason: 'overflow'): void;
  /** A storage fault the tracker survives: logged once per `kind`, counted, emitted as `error`. */
  fault(kind: string, error: unknown): void;
  /** A stored record that cannot be read back: goes to the dead-letter file (raw) so the rest can replay. */
  corrupt(raw: string, error: unknown): void;
}

/** The stored form of a live event. */
export function toStored(event: QueuedEvent): StoredEvent {
  return {
    meter: event.meter.name,
    token: event.meter.token,
    customerId: event.customerId,
    quantity: event.quantity,
    timestamp: event.timestamp,
    idempotencyKey: event.idempotencyKey,
    metadataJson: event.metadataJson,
  };
}
