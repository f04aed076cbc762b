import { randomUUID } from 'node:crypto';
import type { OutboxHost, QueuedEvent } from '@fluxrate/core';
import type { Redis } from 'ioredis';
import { encodeEvent } from './codec.js';
import { retryRedis } from './redis-retry.js';
import { scriptRunner } from './script-runner.js';
import { APPEND_SCRIPT } from './scripts.js';

const runAppend = scriptRunner(APPEND_SCRIPT);

/** How long a batch's marker outlives it: a retry later than this could append the batch twice. */
const MARKER_TTL_MS = 24 * 60 * 60 * 1000;

/** A key in the stream's hash slot (Redis Cluster runs a script on one slot only). */
function markerPrefix(stream: string): string {
  const tagged = /\{[^}]+\}/.test(stream);
  return `${tagged ? stream : `{${stream}}`}:append:${randomUUID()}:`;
}

export interface AppenderEvents {
  /** Redis stored these events. */
  confirmed(events: QueuedEvent[]): void;
  /** The stream was at its bound: these events were not stored. */
  overflow(events: QueuedEvent[]): void;
  /** A batch append failed; it is retried with backoff. */
  fault(error: unknown): void;
  /** Writing a batch failed in a way no retry was written for (a bug): the batch is kept and tried again later. */
  unexpected(error: unknown): void;
}

/** After an unexpected failure, the next batch waits this long (a bug must not spin). */
const UNEXPECTED_PAUSE_MS = 2_000;

/**
 * The write side: events accepted in one event-loop turn go to Redis as one batch (one script of
 * `XADD`s whose argument is the whole batch as one string). At most one batch is in flight; events
 * accepted meanwhile wait in memory for the next one, so an unreachable Redis costs a bounded buffer
 * (the tracker's `maxQueueSize` counts it), never a growing queue of commands. Batches start at least
 * `intervalMs` apart (unless a full batch is waiting): under load a batch holds every event of that
 * interval, and the app pays for one round trip per interval instead of one per request. The batch is
 * one operation retried with backoff (p-retry) until it lands.
 */
export class Appender {
  #buffer: QueuedEvent[] = [];
  #inFlight: QueuedEvent[] = [];
  #scheduled = false;
  #running = false;
  /** When the last batch started (performance.now()), for `intervalMs`. */
  #lastStart = Number.NEGATIVE_INFINITY;
  /** No batch starts before this (performance.now()): set after an unexpected failure. */
  #resumeAt = Number.NEGATIVE_INFINITY;
  readonly #abort = new AbortController();
  /** Batches Redis confirmed (one script call each). */
  appends = 0;
  /** Batch attempts that failed (each retried; `fluxrate.redis.append.errors`). */
  failures = 0;
  /** Batch markers: this prefix + a sequence number; the last confirmed one is deleted by the next batch. */
  #markers: string;
  #batchSeq = 0;
  #lastMarker: string | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly stream: string,
    private readonly maxLen: number,
    private readonly batchSize: number,
    private readonly intervalMs: number,
    private readonly on: AppenderEvents,
  ) {
    this.#markers = markerPrefix(stream);
  }

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
    const now = performance.now();
    const wait = Math.max(
      this.#resumeAt - now,
      this.#buffer.length >= this.batchSize ? 0 : this.#lastStart + this.intervalMs - now,
    );
    if (wait >= 1) setTimeout(this.#start, wait);
    else setImmediate(this.#start);
  }

  readonly #start = (): void => {
    this.#scheduled = false;
    if (this.#abort.signal.aborted) return;
    this.#running = true;
    this.#lastStart = performance.now();
    void this.#write().finally(() => {
      this.#running = false;
      if (this.#buffer.length > 0) this.#kick();
    });
  };

  readonly #fault = (error: unknown): void => {
    this.failures++;
    this.on.fault(error);
  };

  /** Writes one batch (retried until it lands or drain() aborts) and reports it. */
  async #write(): Promise<void> {
    const batch = this.#buffer.splice(0, this.batchSize);
    this.#inFlight = batch;
    let packed = encodeEvent(batch[0]!);
    for (let i = 1; i < batch.length; i++) packed += `\n${encodeEvent(batch[i]!)}`;
    const args = [String(this.maxLen), packed, String(MARKER_TTL_MS)];
    const marker = `${this.#markers}${++this.#batchSeq}`;
    const keys = this.#lastMarker ? [this.stream, marker, this.#lastMarker] : [this.stream, marker];
    let stored: number;
    try {
      // The first attempt without p-retry's machinery: the common case costs one script call.
      stored = Number(
        await runAppend(this.redis, keys, args).catch((error: unknown) => {
          this.#fault(error);
          return retryRedis(() => runAppend(this.redis, keys, args), this.#abort.signal, this.#fault);
        }),
      );
    } catch (error) {
      if (this.#abort.signal.aborted) return; // aborted by drain(), which reports the batch as unconfirmed
      // Not a Redis fault (those are retried): reported, and the batch goes back to the front, kept.
      this.#inFlight = [];
      this.#buffer.unshift(...batch);
      this.#resumeAt = performance.now() + UNEXPECTED_PAUSE_MS;
      this.failures++;
      this.on.unexpected(error);
      return;
    }
    this.#inFlight = [];
    this.#lastMarker = marker;
    this.appends++;
    if (this.#abort.signal.aborted) return; // drained: the caller already reported these
    if (stored > 0) this.on.confirmed(stored === batch.length ? batch : batch.slice(0, stored));
    if (stored < batch.length) this.on.overflow(batch.slice(stored));
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

/** The appender's counts for `RedisOutbox.localStats()` (zeros before `open`). */
export function appenderCounts(appender: Appender | undefined) {
  return {
    unconfirmed: appender?.size ?? 0,
    appends: appender?.appends ?? 0,
    appendErrors: appender?.failures ?? 0,
  };
}

/** The stream is at `maxLen`: the batch's refused events are reported to the tracker as dropped (overflow). */
export function reportOverflow(
  host: OutboxHost,
  stream: string,
  maxLen: number,
  events: QueuedEvent[],
): void {
  const message = `Redis stream ${stream} is at maxLen ${maxLen}: ${events.length} event(s) dropped (overflow)`;
  host.fault('redis-overflow', new Error(message));
  if (host.dropped) host.dropped(events, 'overflow');
  else host.handedOff(events);
}
