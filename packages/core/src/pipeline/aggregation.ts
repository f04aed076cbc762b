import { createHash, randomUUID } from 'node:crypto';
import type { QueuedEvent } from '../contracts/event.js';
import type { Outbox } from '../contracts/outbox.js';

interface Group {
  event: QueuedEvent;
  /** Keys of the held inputs (durable outbox only), deleted when the window's aggregate is stored. */
  inputs: string[] | undefined;
}

interface Window {
  start: number;
  /** Sequence number of this window instance: a window reopened after an early close gets fresh keys. */
  part: number;
  groups: Map<string, Group>;
  /** Inputs added to this window. */
  inputs: number;
  timer: NodeJS.Timeout | undefined;
}

const groupKeyOf = (event: QueuedEvent): string =>
  `${event.meter.token}\u0000${event.customerId}\u0000${event.metadataJson ?? ''}`;

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 22);

/**
 * Exact pre-aggregation, the optional stage between admission and the outbox. Only events whose keys
 * are unique by construction enter it (a caller's key must stay dedupable, so those go to the outbox
 * as they are). Inputs combine per wall-clock window and group (meter, customer, metadata) into one
 * event per group, preserving the meter's aggregation: SUM sums, MAX keeps the maximum, LAST keeps the
 * latest by timestamp, UNIQUE_COUNT keeps one event per distinct metadata (which carries `user_id`).
 * Aggregate keys are `agg_{instance}_{window}_{part}_{group}`: fixed once made, unique across instances
 * and restarts. With a durable outbox (`hold`/`release`) every input is stored until its window's
 * aggregate replaces it in one transaction, so a kill loses nothing and doubles nothing.
 */
export class AggregationStage {
  readonly windowMs: number;
  /** Least time a window stays open after its first input (the forwarder: a backlog read late still merges). */
  readonly #minOpenMs: number;
  readonly #instance = randomUUID().slice(0, 13);
  readonly #windows = new Map<number, Window>();
  #sequence = 0;
  readonly #outbox: Outbox;
  readonly #durable: boolean;
  /** Gives an aggregate its body and counts it as outstanding before it enters the outbox. */
  readonly #finalize: (event: QueuedEvent) => void;
  #groups = 0;
  merged = 0;
  /** Called when a window closes, with how many inputs became how many events. */
  onClose: ((inputs: number, events: number) => void) | undefined;

  constructor(windowMs: number, outbox: Outbox, finalize: (event: QueuedEvent) => void, minOpenMs = 0) {
    this.windowMs = windowMs;
    this.#minOpenMs = minOpenMs;
    this.#outbox = outbox;
    this.#durable = typeof outbox.hold === 'function' && typeof outbox.release === 'function';
    this.#finalize = finalize;
  }

  /** Open groups: each becomes one outbox event when its window closes, so admission counts them in the bound. */
  get openGroups(): number {
    return this.#groups;
  }

  /** True when the input would merge into an open group (so it costs no memory). */
  merges(event: QueuedEvent): boolean {
    const window = this.#windows.get(event.timestamp - (event.timestamp % this.windowMs));
    return window?.groups.has(groupKeyOf(event)) === true;
  }

  /** `stored`: the input is already held by the outbox (recovered after a restart). */
  add(event: QueuedEvent, stored = false): void {
    if (this.#durable && !stored) this.#outbox.hold!(event);
    const start = event.timestamp - (event.timestamp % this.windowMs);
    let window = this.#windows.get(start);
    if (!window) {
      window = { start, part: this.#sequence++, groups: new Map(), inputs: 0, timer: undefined };
      this.#windows.set(start, window);
      this.#arm(window);
    }
    window.inputs++;
    const groupKey = groupKeyOf(event);
    const group = window.groups.get(groupKey);
    if (!group) {
      const copy: QueuedEvent = {
        ...event,
        timestamp: event.meter.aggregation === 'LAST' ? event.timestamp : start,
      };
      window.groups.set(groupKey, {
        event: copy,
        inputs: this.#durable ? [event.idempotencyKey] : undefined,
      });
      this.#groups++;
      return;
    }
    group.inputs?.push(event.idempotencyKey);
    this.merged++;
    const target = group.event;
    switch (event.meter.aggregation) {
      case 'SUM':
        target.quantity += event.quantity;
        break;
      case 'MAX':
        target.quantity = Math.max(target.quantity, event.quantity);
        break;
      case 'LAST':
        if (event.timestamp >= target.timestamp) {
          target.quantity = event.quantity;
          target.timestamp = event.timestamp;
        }
        break;
      case 'UNIQUE_COUNT':
        break; // same metadata (same user_id) within the window: already counted
    }
  }

  /** Closes every open window now (flush, shutdown). */
  closeAll(): void {
    for (const window of [...this.#windows.values()]) this.#close(window);
  }

  #arm(window: Window): void {
    const delay = Math.max(this.#minOpenMs, window.start + this.windowMs - Date.now()) + 50;
    window.timer = setTimeout(() => this.#close(window), delay);
    window.timer.unref();
  }

  #close(window: Window): void {
    if (window.timer) clearTimeout(window.timer);
    this.#windows.delete(window.start);
    const aggregates: QueuedEvent[] = [];
    const inputs: string[] = [];
    for (const [groupKey, group] of window.groups) {
      const event = group.event;
      event.idempotencyKey = `agg_${this.#instance}_${window.start}_${window.part}_${digest(groupKey)}`;
      event.unique = true;
      event.body = ''; // built from the merged fields on the first attempt, never an input's
      event.attempts = 0;
      event.firstAttemptAt = 0;
      event.notBefore = 0;
      this.#finalize(event);
      aggregates.push(event);
      if (group.inputs) for (const key of group.inputs) inputs.push(key);
    }
    this.#groups -= window.groups.size;
    this.onClose?.(window.inputs, aggregates.length);
    if (this.#durable) this.#outbox.release!(inputs, aggregates);
    else for (const event of aggregates) this.#outbox.append(event);
  }

  stop(): void {
    for (const window of this.#windows.values()) if (window.timer) clearTimeout(window.timer);
    this.#windows.clear();
  }
}
