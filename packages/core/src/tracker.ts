import { Aggregator } from './aggregator.js';
import { DeadLetterSink } from './dead-letter.js';
import { TypedEmitter } from './emitter.js';
import { FluxrateValidationError } from './errors.js';
import { type QueuedEvent, toUsageEvent } from './event.js';
import { Fifo } from './fifo.js';
import { MinHeap } from './min-heap.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { redactor } from './redact.js';
import { backoffDelay } from './retry-policy.js';
import { Spool, type SpooledEvent } from './spool.js';
import { type AttemptOutcome, type EventTransport, Transport } from './transport.js';
import type {
  DropReason,
  FlushOptions,
  FlushResult,
  Listener,
  ShutdownOptions,
  ShutdownReport,
  TrackEvent,
  Tracker,
  TrackerEventName,
  TrackerEvents,
  TrackerOptions,
  TrackerStats,
  UsageEvent,
} from './types.js';
import { kUniqueKey } from './unique-key.js';
import {
  checkId,
  checkMetadata,
  checkQuantity,
  checkTimestamp,
  newEventKey,
  resolveMeter,
} from './validate-event.js';
import { deliveryWorkerFile } from './worker-file.js';
import { WorkerTransport } from './worker-transport.js';

/** After this many consecutive retryable failures the dispatcher stops pulling fresh events and probes one at a time. */
const OPEN_CIRCUIT_AFTER = 5;

interface FlushWaiter {
  target: number;
  resolve: (result: FlushResult) => void;
  promise: Promise<FlushResult>;
}

/**
 * The tracker: `track()` validates and enqueues synchronously; a dispatcher sends events over one
 * undici Pool with at most `concurrency` requests in flight. Retry state lives on each event as data
 * (attempts, next time), so an event waiting to retry holds no connection, promise or timer: one
 * unref'd timer wakes the dispatcher for the earliest due retry.
 */
export class FluxrateTracker<M extends string = string> implements Tracker<M> {
  readonly #options: ResolvedOptions;
  readonly #emitter: TypedEmitter;
  readonly #transport: EventTransport | undefined;
  readonly #redact: (text: string) => string;
  readonly #queue = new Fifo<QueuedEvent>();
  readonly #waiting = new MinHeap<QueuedEvent>((event) => event.notBefore);
  readonly #controllers = new Set<AbortController>();
  /** Outstanding events per closed flush generation; the open generation is counted in #current. */
  readonly #generations = new Map<number, number>();
  #current = 0;
  #flushWaiters: FlushWaiter[] = [];
  #idleWaiters: (() => void)[] = [];
  #generation = 0;
  #inFlight = 0;
  #failStreak = 0;
  #wakeAt = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  #pumpScheduled = false;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #forced = false;
  #leftovers: UsageEvent[] = [];
  #shutdown: Promise<ShutdownReport> | undefined;
  #authWarned = false;
  #lastOverflowLog = 0;
  readonly #counts = {
    tracked: 0,
    delivered: 0,
    retried: 0,
    failed: 0,
    dropped: 0,
    skipped: 0,
    errors: 0,
    replayed: 0,
  };
  readonly #spool: Spool | undefined;
  readonly #deadLetter: DeadLetterSink | undefined;
  readonly #aggregator: Aggregator | undefined;

  constructor(options?: TrackerOptions<M>) {
    this.#options = resolveOptions(options as TrackerOptions<string>);
    this.#emitter = new TypedEmitter(this.#options.logger);
    this.#redact = redactor([this.#options.apiKey, this.#options.accessToken]);
    this.#transport = this.#options.disabled ? undefined : this.#createTransport();
    const { deadLetterFile, spoolDir, spoolDriver, aggregate } = this.#options;
    if (deadLetterFile) this.#deadLetter = new DeadLetterSink(deadLetterFile);
    if (aggregate) {
      this.#aggregator = new Aggregator(aggregate.windowMs, this.#options.maxQueueSize, (event) =>
        this.#enqueue(event),
      );
    }
    if (spoolDir) {
      this.#spool = new Spool(spoolDir, spoolDriver);
      for (const row of this.#spool.load()) this.#replay(row);
    }
  }

  #createTransport(): EventTransport {
    const { origin, pathPrefix, transport, apiKey, accessToken, concurrency, timeoutMs, delivery } =
      this.#options;
    const config = { origin, pathPrefix, transport, apiKey, accessToken, concurrency, timeoutMs };
    const workerFile = delivery === 'worker' ? deliveryWorkerFile() : undefined;
    if (delivery === 'worker' && !workerFile) {
      this.#options.logger.warn?.(
        {},
        'fluxrate: delivery worker script not found (running from source?); delivering in-thread',
      );
    }
    return workerFile ? new WorkerTransport(config, workerFile) : new Transport(config, this.#redact);
  }

  /** Re-enqueues an event a previous process left in the spool, with its original key. */
  #replay(row: SpooledEvent): void {
    const configured = this.#options.meters.get(row.meter);
    const meter = configured ?? {
      name: row.meter,
      token: row.token,
      aggregation: 'SUM' as const,
      id: undefined,
    };
    this.#counts.replayed++;
    this.#enqueue(
      {
        meter,
        customerId: row.customerId,
        quantity: row.quantity,
        timestamp: row.timestamp,
        idempotencyKey: row.idempotencyKey,
        metadataJson: row.metadataJson,
        attempts: 0,
        firstAttemptAt: 0,
        notBefore: 0,
        generation: this.#generation,
        body: undefined,
      },
      false,
    );
  }

  get closed(): boolean {
    return this.#state !== 'open';
  }

  hasMeter(ref: string): boolean {
    try {
      resolveMeter(this.#options.meters, ref);
      return true;
    } catch {
      return false;
    }
  }

  track(input: TrackEvent<M>): void {
    try {
      this.#track(input);
    } catch (error) {
      // A secret passed by mistake as a field must not be echoed in the error message.
      if (error instanceof FluxrateValidationError) error.message = this.#redact(error.message);
      throw error;
    }
  }

  #track(input: TrackEvent<M>): void {
    if (typeof input !== 'object' || input === null) {
      throw new FluxrateValidationError('event', 'track() expects an event object');
    }
    const now = Date.now();
    const meter = resolveMeter(this.#options.meters, input.meter);
    const customerId = checkId('customerId', input.customerId);
    const event: QueuedEvent = {
      meter,
      customerId,
      quantity: checkQuantity(input.quantity),
      timestamp: checkTimestamp(input.timestamp, now),
      idempotencyKey:
        input.idempotencyKey === undefined ? newEventKey() : checkId('idempotencyKey', input.idempotencyKey),
      metadataJson: checkMetadata(input.metadata, meter),
      attempts: 0,
      firstAttemptAt: 0,
      notBefore: 0,
      generation: this.#generation,
      body: undefined,
    };
    if (this.#state !== 'open') return this.#drop(event, 'after-shutdown', false);
    if (this.#options.allowCustomer && !this.#options.allowCustomer(customerId)) {
      return this.reportSkip({ reason: 'not-allowed', meter: meter.name, customerId });
    }
    if (this.#options.disabled) return this.reportSkip({ reason: 'disabled', meter: meter.name, customerId });
    if (this.#outstanding() >= this.#options.maxQueueSize) return this.#drop(event, 'overflow', false);

    this.#counts.tracked++;
    const aggregator = this.#aggregator;
    if (aggregator && (!this.#options.aggregate?.meters || this.#options.aggregate.meters.has(meter.name))) {
      // Keys generated here or by the route meter's request UUID cannot repeat: no need to remember them.
      const unique =
        input.idempotencyKey === undefined || (input as { [kUniqueKey]?: boolean })[kUniqueKey] === true;
      return aggregator.add(event, unique);
    }
    this.#enqueue(event);
  }

  /** Puts an accepted event in the send queue (and the spool), and schedules the dispatcher. */
  #enqueue(event: QueuedEvent, spool = true): void {
    event.generation = this.#generation;
    this.#current++;
    this.#queue.push(event);
    if (spool) this.#spool?.add(event);
    if (!this.#pumpScheduled) {
      // Sending starts on a later turn of the event loop, never on the caller's stack.
      this.#pumpScheduled = true;
      setImmediate(this.#scheduledPump);
    }
  }

  flush(options: FlushOptions = {}): Promise<FlushResult> {
    this.#aggregator?.closeAll();
    if (this.#outstanding() === 0) return Promise.resolve({ settled: true, pending: 0 });
    const last = this.#flushWaiters.at(-1);
    // Nothing tracked since the running flush began: share its promise.
    let waiter: FlushWaiter;
    if (last && last.target === this.#generation - 1 && this.#current === 0) {
      waiter = last;
    } else {
      if (this.#current > 0) this.#generations.set(this.#generation, this.#current);
      this.#current = 0;
      const target = this.#generation++;
      let resolve!: (result: FlushResult) => void;
      const promise = new Promise<FlushResult>((r) => {
        resolve = r;
      });
      waiter = { target, resolve, promise };
      this.#flushWaiters.push(waiter);
    }
    if (options.timeoutMs === undefined) return waiter.promise;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => resolve({ settled: false, pending: this.#pendingUpTo(waiter.target) }),
        options.timeoutMs,
      );
      timer.unref();
      waiter.promise.then((result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
  }

  shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport> {
    if (this.#shutdown) return this.#shutdown;
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#state = 'closing';
    this.#aggregator?.closeAll();
    this.#shortenRetries();
    this.#shutdown = this.#drainThenClose(timeoutMs);
    return this.#shutdown;
  }

  stats(): TrackerStats {
    return {
      ...this.#counts,
      aggregated: this.#aggregator?.merged ?? 0,
      queued: this.#queue.size + this.#waiting.size + (this.#aggregator?.openGroups ?? 0),
      inFlight: this.#inFlight,
    };
  }

  on<E extends TrackerEventName>(event: E, listener: Listener<E>): this {
    this.#emitter.add(event, listener);
    return this;
  }

  off<E extends TrackerEventName>(event: E, listener: Listener<E>): this {
    this.#emitter.remove(event, listener);
    return this;
  }

  once<E extends TrackerEventName>(event: E, listener: Listener<E>): this {
    const wrapped: Listener<E> = (payload) => {
      this.#emitter.remove(event, wrapped);
      listener(payload);
    };
    this.#emitter.add(event, wrapped);
    return this;
  }

  reportError(problem: TrackerEvents['error']): void {
    this.#counts.errors++;
    const reason = this.#redact(problem.reason);
    this.#options.logger.warn?.(
      { route: problem.route, meter: problem.meter, reason },
      'fluxrate: usage not billed',
    );
    this.#emitter.emit('error', { ...problem, reason });
  }

  reportSkip(skip: TrackerEvents['skipped']): void {
    this.#counts.skipped++;
    this.#options.logger.debug?.(skip, 'fluxrate: usage skipped');
    this.#emitter.emit('skipped', skip);
  }

  // ---- dispatcher ----

  readonly #scheduledPump = (): void => {
    this.#pumpScheduled = false;
    this.#pump();
  };

  #outstanding(): number {
    return this.#queue.size + this.#waiting.size + this.#inFlight;
  }

  #pump(): void {
    const transport = this.#transport;
    if (!transport || this.#forced) return;
    const circuitOpen = this.#failStreak >= OPEN_CIRCUIT_AFTER;
    const limit = circuitOpen ? 1 : this.#options.concurrency;
    while (this.#inFlight < limit) {
      const now = Date.now();
      const next = this.#waiting.peek();
      let event: QueuedEvent | undefined;
      if (next && next.notBefore <= now) event = this.#waiting.pop();
      else if (circuitOpen && next) return this.#wakeAtTime(next.notBefore);
      else event = this.#queue.shift();
      if (!event) {
        if (next) this.#wakeAtTime(next.notBefore);
        return;
      }
      this.#send(transport, event, now);
    }
  }

  #wakeAtTime(at: number): void {
    if (this.#wakeTimer && this.#wakeAt <= at) return;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(
      () => {
        this.#wakeTimer = undefined;
        this.#pump();
      },
      Math.max(0, at - Date.now()),
    );
    this.#wakeTimer.unref();
  }

  #send(transport: EventTransport, event: QueuedEvent, now: number): void {
    this.#inFlight++;
    event.attempts++;
    if (event.firstAttemptAt === 0) event.firstAttemptAt = now;
    const controller = new AbortController();
    this.#controllers.add(controller);
    const timeoutMs = this.#options.timeoutMs;
    const timer = setTimeout(() => controller.abort(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    transport.send(event, controller.signal).then(
      (outcome) => this.#settleAttempt(event, outcome, controller, timer),
      (error) => this.#settleAttempt(event, { kind: 'retry', error: String(error) }, controller, timer),
    );
  }

  #settleAttempt(
    event: QueuedEvent,
    outcome: AttemptOutcome,
    controller: AbortController,
    timer: NodeJS.Timeout,
  ): void {
    clearTimeout(timer);
    this.#controllers.delete(controller);
    this.#inFlight--;
    try {
      this.#handle(event, outcome);
    } finally {
      this.#pump();
      this.#checkIdle();
    }
  }

  #handle(event: QueuedEvent, outcome: AttemptOutcome): void {
    const now = Date.now();
    if (outcome.kind === 'delivered') {
      this.#failStreak = 0;
      this.#counts.delivered++;
      if (this.#emitter.has('delivered')) {
        this.#emitter.emit('delivered', {
          event: toUsageEvent(event),
          status: outcome.status,
          attempts: event.attempts,
          latencyMs: now - event.timestamp,
        });
      }
      this.#spool?.remove(event.idempotencyKey);
      return this.#settle(event);
    }
    if (outcome.kind === 'failed') {
      this.#failStreak = 0;
      const detail = this.#redact(outcome.detail);
      if ((outcome.status === 401 || outcome.status === 403) && !this.#authWarned)
        this.#warnAuth(outcome.status, detail);
      return this.#fail(event, 'rejected', outcome.status, detail);
    }
    // Retryable: network error, timeout, 408, 429, 5xx.
    if (this.#forced) return this.#drop(event, 'shutdown-deadline', true);
    this.#failStreak++;
    const { retries, maxRetryTime, maxRetryAfter, minTimeout } = this.#options;
    let delay = backoffDelay(event.attempts, this.#options);
    if (this.#state === 'closing') delay = Math.min(delay, minTimeout);
    // Retry-After sets this event's next attempt; it does not pause other events (a 429 on one
    // request must not stall the whole queue for its duration).
    if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > 0)
      delay = Math.min(outcome.retryAfterMs, maxRetryAfter);
    const error = outcome.error === undefined ? undefined : this.#redact(outcome.error);
    if (event.attempts > retries || now + delay - event.firstAttemptAt > maxRetryTime) {
      return this.#fail(event, 'retries-exhausted', outcome.status, error ?? `HTTP ${outcome.status}`);
    }
    event.notBefore = now + delay;
    this.#waiting.push(event);
    this.#counts.retried++;
    if (this.#emitter.has('retry')) {
      this.#emitter.emit('retry', {
        event: toUsageEvent(event),
        attempt: event.attempts,
        delayMs: delay,
        ...(outcome.status === undefined ? {} : { status: outcome.status }),
        ...(error === undefined ? {} : { error }),
      });
    }
  }

  #warnAuth(status: number, detail: string): void {
    this.#authWarned = true;
    const what = status === 401 ? 'rejected the API key' : 'refused the API key (missing scope usage.write?)';
    const message = `fluxrate: Fluxrate ${what} (HTTP ${status}: ${detail}). Usage events are failing: check FLUXRATE_API_KEY.`;
    if (this.#options.logger.error) this.#options.logger.error({ status, detail }, message);
    else process.emitWarning(message, { code: 'FLUXRATE_AUTH' });
  }

  #fail(
    event: QueuedEvent,
    reason: 'rejected' | 'retries-exhausted',
    status: number | undefined,
    detail: string,
  ): void {
    this.#counts.failed++;
    this.#options.logger.warn?.(
      { reason, status, detail, meter: event.meter.name, idempotencyKey: event.idempotencyKey },
      'fluxrate: usage event failed',
    );
    const usage = toUsageEvent(event);
    const statusField = status === undefined ? {} : { status };
    this.#emitter.emit('failed', { event: usage, reason, ...statusField, detail, attempts: event.attempts });
    this.#deadLetter?.write({ reason, ...statusField, detail, attempts: event.attempts, event: usage });
    this.#spool?.remove(event.idempotencyKey);
    this.#settle(event);
  }

  /** Drops an event; `counted` says whether it was already counted as outstanding. */
  #drop(event: QueuedEvent, reason: DropReason, counted: boolean): void {
    this.#counts.dropped++;
    const usage = toUsageEvent(event);
    if (reason === 'shutdown-deadline') this.#leftovers.push(usage);
    const now = Date.now();
    if (reason !== 'overflow' || now - this.#lastOverflowLog > 1000) {
      if (reason === 'overflow') this.#lastOverflowLog = now;
      this.#options.logger.warn?.({ reason, meter: usage.meter }, 'fluxrate: usage event dropped');
    }
    this.#emitter.emit('dropped', { event: usage, reason });
    this.#deadLetter?.write({ reason, attempts: event.attempts, event: usage });
    // A spooled event dropped at the shutdown deadline stays in the spool for the next start.
    if (counted) this.#settle(event);
  }

  #settle(event: QueuedEvent): void {
    if (event.generation === this.#generation) {
      this.#current--;
      return;
    }
    const left = (this.#generations.get(event.generation) ?? 1) - 1;
    if (left > 0) this.#generations.set(event.generation, left);
    else this.#generations.delete(event.generation);
    if (this.#flushWaiters.length > 0) this.#resolveFlushes();
  }

  #resolveFlushes(): void {
    // Map keys keep insertion order, which is generation order: the first key is the oldest outstanding.
    const oldest = this.#generations.keys().next();
    while (this.#flushWaiters.length > 0) {
      const waiter = this.#flushWaiters[0]!;
      if (!oldest.done && oldest.value <= waiter.target) break;
      this.#flushWaiters.shift();
      waiter.resolve({ settled: true, pending: 0 });
    }
  }

  #pendingUpTo(target: number): number {
    let pending = 0;
    for (const [generation, count] of this.#generations) if (generation <= target) pending += count;
    return pending;
  }

  #checkIdle(): void {
    if (this.#outstanding() !== 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
    if (this.#emitter.has('drained')) this.#emitter.emit('drained', this.stats());
  }

  #whenIdle(): Promise<void> {
    if (this.#outstanding() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** On shutdown, waiting retries are brought forward so the deadline is spent retrying, not sleeping. */
  #shortenRetries(): void {
    const soon = Date.now() + this.#options.minTimeout;
    for (const event of this.#waiting.drain()) {
      event.notBefore = Math.min(event.notBefore, soon);
      this.#waiting.push(event);
    }
    this.#pump();
  }

  async #drainThenClose(timeoutMs: number): Promise<ShutdownReport> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.#whenIdle(), deadline]);
    clearTimeout(timer);
    if (this.#outstanding() > 0) {
      this.#forced = true;
      if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
      for (const event of this.#queue.drain()) this.#drop(event, 'shutdown-deadline', true);
      for (const event of this.#waiting.drain()) this.#drop(event, 'shutdown-deadline', true);
      for (const controller of this.#controllers) controller.abort(new Error('tracker shut down'));
      await this.#whenIdle();
    }
    this.#state = 'closed';
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#aggregator?.stop();
    await this.#transport?.close(this.#forced);
    this.#spool?.close();
    await this.#deadLetter?.close();
    const report: ShutdownReport = {
      delivered: this.#counts.delivered,
      failed: this.#counts.failed,
      dropped: this.#counts.dropped,
      pending: this.#leftovers,
    };
    if (report.pending.length > 0) {
      this.#options.logger.warn?.(
        { pending: report.pending.length },
        'fluxrate: shutdown deadline left events undelivered',
      );
    }
    return report;
  }
}

/** Creates a tracker. Meter names are inferred from `meters` so misspelt names fail to compile. */
export function createTracker<const M extends string = string>(options?: TrackerOptions<M>): Tracker<M> {
  return new FluxrateTracker<M>(options);
}
