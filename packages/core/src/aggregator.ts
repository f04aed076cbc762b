import { createHash, randomUUID } from 'node:crypto';
import type { QueuedEvent } from './event.js';

interface Group {
  event: QueuedEvent;
  /** Idempotency keys of the inputs already merged (a request key seen twice in a window counts once). */
  inputs: Set<string>;
}

interface Window {
  start: number;
  /** Sequence number of this window instance: a window reopened after an early close gets fresh keys. */
  part: number;
  groups: Map<string, Group>;
  timer: NodeJS.Timeout | undefined;
}

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 22);

/**
 * Exact pre-aggregation: events are combined per wall-clock window and group (meter, customer,
 * metadata) and released as one event per group, preserving the meter's aggregation:
 * SUM sums, MAX keeps the maximum, LAST keeps the latest by timestamp, UNIQUE_COUNT keeps one event
 * per distinct metadata (which carries `user_id`). Keys are `agg_{instance}_{window}_{part}_{group}`:
 * deterministic for a tracker instance, unique across instances and restarts.
 */
export class Aggregator {
  readonly windowMs: number;
  readonly #instance = randomUUID().slice(0, 13);
  readonly #windows = new Map<number, Window>();
  /** Window instances opened by this aggregator: a window closed early and reopened gets a new number. */
  #sequence = 0;
  readonly #release: (event: QueuedEvent) => void;
  readonly #maxGroups: number;
  #groups = 0;
  merged = 0;

  constructor(windowMs: number, maxGroups: number, release: (event: QueuedEvent) => void) {
    this.windowMs = windowMs;
    this.#maxGroups = maxGroups;
    this.#release = release;
  }

  get openGroups(): number {
    return this.#groups;
  }

  /** `uniqueKey`: the input's key cannot repeat, so it need not be remembered for deduplication. */
  add(event: QueuedEvent, uniqueKey = false): void {
    const start = event.timestamp - (event.timestamp % this.windowMs);
    let window = this.#windows.get(start);
    if (!window) {
      window = { start, part: this.#sequence++, groups: new Map(), timer: undefined };
      this.#windows.set(start, window);
      this.#arm(window);
    }
    const groupKey = `${event.meter.token}\u0000${event.customerId}\u0000${event.metadataJson ?? ''}`;
    const group = window.groups.get(groupKey);
    if (!group) {
      const copy: QueuedEvent = {
        ...event,
        timestamp: event.meter.aggregation === 'LAST' ? event.timestamp : start,
      };
      window.groups.set(groupKey, { event: copy, inputs: new Set(uniqueKey ? [] : [event.idempotencyKey]) });
      this.#groups++;
      if (this.#groups >= this.#maxGroups) this.closeAll();
      return;
    }
    if (!uniqueKey) {
      if (group.inputs.has(event.idempotencyKey)) return;
      group.inputs.add(event.idempotencyKey);
    }
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

  /** Closes every open window now (flush, shutdown, or the group cap). */
  closeAll(): void {
    for (const window of [...this.#windows.values()]) this.#close(window);
  }

  #arm(window: Window): void {
    const delay = Math.max(0, window.start + this.windowMs - Date.now()) + 50;
    window.timer = setTimeout(() => this.#close(window), delay);
    window.timer.unref();
  }

  #close(window: Window): void {
    if (window.timer) clearTimeout(window.timer);
    this.#windows.delete(window.start);
    const part = window.part;
    for (const [groupKey, group] of window.groups) {
      const event = group.event;
      event.idempotencyKey = `agg_${this.#instance}_${window.start}_${part}_${digest(groupKey)}`;
      event.body = undefined;
      this.#release(event);
    }
    this.#groups -= window.groups.size;
  }

  stop(): void {
    for (const window of this.#windows.values()) if (window.timer) clearTimeout(window.timer);
    this.#windows.clear();
  }
}
