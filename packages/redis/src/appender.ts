import type { QueuedEvent } from '@fluxrate/core';
import type { Redis } from 'ioredis';
import pRetry from 'p-retry';
import { encodeEvent } from './codec.js';
import { scriptRunner } from './script-runner.js';
import { APPEND_SCRIPT } from './scripts.js';

const runAppend = scriptRunner(APPEND_SCRIPT);

export interface AppenderEvents {
  /** Redis stored these events. */
  confirmed(events: QueuedEvent[]): void;
  /** The stream was at its bound: these events were not stored. */
  overflow(events: QueuedEvent[]): void;
  /** A batch append failed; it is retried with backoff. */
  fault(error: unknown): void;
}

/**
 * The write side: events accepted in one event-loop turn go to Redis as one batch (one script of
 * `XADD`s). At most one batch is in flight; events accepted meanwhile wait in memory for the next one,
 * so an unreachable Redis costs a bounded buffer (the tracker's `maxQueueSize` counts it), never a
 * growing queue of commands. The batch is one operation retried with backoff (p-retry) until it lands.
 */
export class Appender {
  #buffer: QueuedEvent[] = [];
  #inFlight: QueuedEvent[] = [];
  #scheduled = false;
  #running: Promise<void> | undefined;
  readonly #abort = new AbortController();

  constructor(
    private readonly redis: Redis,
    private readonly stream: string,
    private readonly maxLen: number,
    private readonly batchSize: number,
    private readonly on: AppenderEvents,
  ) {}

  /** Events not yet confirmed by Redis. */
  get size(): number {
    return this.#buffer.length + this.#inFlight.length;
  }

  /** The events not yet confirmed (they stay buffered and are still written). */
  pending(): QueuedEvent[] {
    return [...this.#inFlight, ...this.#buffer];
  }

  add(event: QueuedEvent): void {
    this.#buffer.push(event);
    this.#kick();
  }

  #kick(): void {
    if (this.#scheduled || this.#running || this.#abort.signal.aborted) return;
    // The batch is written on a later turn: never on the caller's stack.
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
        if (this.#buffer.length > 0) this.#kick();
      });
    });
  }

  async #run(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.batchSize);
      this.#inFlight = batch;
      const args = [String(this.maxLen)];
      for (const event of batch) args.push(encodeEvent(event));
      let ids: unknown[];
      try {
        ids = (await pRetry(() => runAppend(this.redis, this.stream, args), {
          retries: Number.POSITIVE_INFINITY,
          minTimeout: 100,
          maxTimeout: 2_000,
          randomize: true,
          signal: this.#abort.signal,
          onFailedAttempt: ({ error }) => this.on.fault(error),
        })) as unknown[];
      } catch {
        return; // aborted by drain(), which reports the batch as unconfirmed
      }
      this.#inFlight = [];
      const stored: QueuedEvent[] = [];
      const refused: QueuedEvent[] = [];
      batch.forEach((event, i) => {
        (typeof ids[i] === 'string' ? stored : refused).push(event);
      });
      if (this.#abort.signal.aborted) return; // drained: the caller already reported these
      if (stored.length > 0) this.on.confirmed(stored);
      if (refused.length > 0) this.on.overflow(refused);
    }
  }

  /**
   * Waits until every buffered event is confirmed, or `timeoutMs`; then stops retrying and returns the
   * events still unconfirmed (no callback fires after this).
   */
  async drain(timeoutMs: number): Promise<QueuedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(20, deadline - Date.now())));
    }
    this.#abort.abort();
    const left = [...this.#inFlight, ...this.#buffer];
    this.#buffer = [];
    this.#inFlight = [];
    return left;
  }
}
