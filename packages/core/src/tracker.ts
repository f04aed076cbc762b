import { type ResolvedOptions, resolveOptions } from './config/options.js';
import { FluxrateValidationError } from './contracts/errors.js';
import type { QueuedEvent } from './contracts/event.js';
import { type HoldSource, OpenHolds } from './contracts/open-holds.js';
import type { Outbox } from './contracts/outbox.js';
import type {
  ErrorWarning,
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
} from './contracts/types.js';
import { toUsageEvent } from './contracts/usage-event.js';
import { type AttemptEnd, Dispatcher } from './delivery/dispatcher.js';
import { PersistentFaults } from './delivery/persistent-faults.js';
import { Transport } from './delivery/transport.js';
import { instrumentTracker } from './integrations/otel-metrics.js';
import { outboxHost } from './outbox/outbox-host.js';
import { MemoryOutbox } from './outbox/outbox-memory.js';
import { SqliteOutbox } from './outbox/outbox-sqlite.js';
import { Admission } from './pipeline/admission.js';
import { AggregationStage } from './pipeline/aggregation.js';
import { Ledger } from './pipeline/ledger.js';
import { resolveMeter } from './pipeline/validate-event.js';
import { KeepAlive } from './support/keep-alive.js';
import { redactor } from './support/redact.js';

/** The composition root: track() -> admission -> [aggregation] -> outbox -> dispatcher -> transport -> ledger. */
export class CoreTracker<M extends string = string> implements Tracker<M> {
  readonly #options: ResolvedOptions;
  readonly #redact: (text: string) => string;
  readonly #ledger: Ledger;
  readonly #outbox: Outbox;
  readonly #admission: Admission;
  readonly #stage: AggregationStage | undefined;
  readonly #coalescer: AggregationStage | undefined;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #keepAlive = new KeepAlive();
  readonly #faults: PersistentFaults;
  readonly #holds = new OpenHolds();
  #openHolds = 0;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #shutdown: Promise<ShutdownReport> | undefined;
  #left: UsageEvent[] = [];

  constructor(options?: TrackerOptions<M>) {
    this.#options = resolveOptions(options as TrackerOptions<string>);
    this.#redact = redactor([this.#options.apiKey, this.#options.accessToken]);
    this.#ledger = new Ledger(
      this.#options,
      this.#redact,
      () => this.#idle(),
      () => this.stats(),
    );
    this.#faults = new PersistentFaults(this.#ledger.warnings);
    const { spoolDir, spoolDriver, aggregate, disabled } = this.#options;
    this.#outbox =
      this.#options.outbox ?? (spoolDir ? new SqliteOutbox(spoolDir, spoolDriver) : new MemoryOutbox());
    if (!disabled) {
      // Every attempt's outcome passes the persistent-fault check (TLS, header, DNS: logged once per kind).
      const transport = new Transport(this.#options, this.#redact, this.#faults.note);
      this.#dispatcher = new Dispatcher(this.#outbox, transport, this.#options, this.#onAttemptEnd);
      this.#dispatcher.afterSettle = () => this.#ledger.checkIdle();
    }
    const wake = this.#dispatcher?.schedule ?? (() => undefined);
    this.#admission = new Admission(this.#options, this.#ledger, this.#outbox, wake);
    const finalize = this.#admission.finalize;
    if (aggregate) this.#stage = new AggregationStage(aggregate.windowMs, this.#outbox, finalize);
    this.#admission.stage = this.#stage;
    if (Number.isFinite(this.#options.coalesceAt)) {
      this.#coalescer = new AggregationStage(this.#options.coalesceWindowMs, this.#outbox, finalize);
      this.#coalescer.onClose = (events, into) => this.#ledger.coalesced(events, into);
      this.#admission.coalescer = this.#coalescer;
    }
    const host = outboxHost(this.#ledger, this.#options.meters, wake);
    for (const event of this.#outbox.open(host)) this.#ledger.adopt(event);
    for (const input of this.#outbox.recoverHeld?.() ?? []) {
      this.#ledger.counts.replayed++;
      if (this.#stage) this.#stage.add(input, true);
      else this.#outbox.release?.([input.idempotencyKey], [this.#adopted(input)]);
    }
    wake();
  }

  /** A recovered aggregation input with aggregation now off: it goes out on its own. */
  #adopted(input: QueuedEvent): QueuedEvent {
    this.#ledger.enqueued(input);
    return input;
  }

  readonly #onAttemptEnd = (event: QueuedEvent, end: AttemptEnd): void => {
    const ledger = this.#ledger;
    if (end.kind === 'delivered') ledger.delivered(event, end.status);
    else if (end.kind === 'failed') ledger.failed(event, end.reason, end.status, end.detail);
    else if (end.kind === 'retry') ledger.retried(event, end.delayMs, end.status, end.error);
    else {
      this.#left.push(toUsageEvent(event));
      ledger.leftAtDeadline([event]);
    }
  };

  readonly #idle = (): boolean => this.#admission.held === 0;

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
      this.#admission.track(input);
    } catch (error) {
      if (error instanceof FluxrateValidationError) {
        // A secret passed by mistake as a field must not be echoed, in the message or the problem.
        [error.message, error.problem] = [this.#redact(error.message), this.#redact(error.problem)];
      }
      throw error;
    }
  }

  flush(options: FlushOptions = {}): Promise<FlushResult> {
    this.#stage?.closeAll();
    this.#coalescer?.closeAll();
    const { promise, target } = this.#ledger.generations.flush();
    if (options.timeoutMs === undefined) return this.#keepAlive.hold(promise);
    return this.#keepAlive.hold(
      new Promise((resolve) => {
        const timer = setTimeout(
          () => resolve({ settled: false, pending: this.#ledger.generations.pendingUpTo(target) }),
          options.timeoutMs,
        );
        promise.then((result) => {
          clearTimeout(timer);
          resolve(result);
        });
      }),
    );
  }

  shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport> {
    if (this.#shutdown) return this.#shutdown;
    // Requests still held are billed with what they added, while the tracker still accepts them.
    this.#openHolds = this.#holds.bill('shutdown()');
    this.#state = 'closing';
    this.#admission.open = false;
    this.#stage?.closeAll();
    this.#coalescer?.closeAll();
    this.#dispatcher?.closing();
    this.#outbox.stop?.(); // a shared outbox stops taking in other processes' events, so the drain can end
    this.#shutdown = this.#keepAlive.hold(this.#drainThenClose(options.timeoutMs ?? 10_000));
    return this.#shutdown;
  }

  async #drainThenClose(timeoutMs: number): Promise<ShutdownReport> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.#ledger.whenIdle(), deadline]);
    clearTimeout(timer);
    if (!this.#idle()) {
      this.#dispatcher?.stop();
      const left = this.#outbox.evict();
      for (const event of left) this.#left.push(toUsageEvent(event));
      this.#ledger.leftAtDeadline(left);
      await this.#ledger.whenIdle();
      const kept = this.#outbox.kind !== 'memory';
      this.#ledger.summarizeLeft({ count: this.#left.length, timeoutMs, kept });
    }
    this.#state = 'closed';
    this.#stage?.stop();
    this.#coalescer?.stop();
    await this.#dispatcher?.close(this.#left.length > 0);
    await this.#outbox.close();
    await this.#ledger.close();
    const { delivered, failed, dropped } = this.#ledger.counts;
    return { delivered, failed, dropped, pending: this.#left, openHolds: this.#openHolds };
  }

  /** Adapter lifecycles register how to bill their open holds here (see `OpenHolds`). */
  watchHolds(source: HoldSource): () => void {
    return this.#holds.add(source);
  }

  /** Bills every request whose `hold()` is still open now (a stop signal: the process is ending). */
  billOpenHolds(where: string): number {
    return this.#holds.bill(where);
  }

  stats(): TrackerStats {
    return {
      ...this.#ledger.counts,
      aggregated: this.#stage?.merged ?? 0,
      persistentFaults: { ...this.#faults.counts },
      coalesced: this.#coalescer?.merged ?? 0,
      queued: this.#admission.held - (this.#dispatcher?.inFlight ?? 0),
      inFlight: this.#dispatcher?.inFlight ?? 0,
      oldestEventAt: this.#outbox.oldestTimestamp?.(),
    };
  }

  on<E extends TrackerEventName>(event: E, listener: Listener<E>): this {
    this.#ledger.emitter.add(event, listener);
    return this;
  }

  off<E extends TrackerEventName>(event: E, listener: Listener<E>): this {
    this.#ledger.emitter.remove(event, listener);
    return this;
  }

  once<E extends TrackerEventName>(event: E, listener: Listener<E>): this {
    this.#ledger.emitter.once(event, listener);
    return this;
  }

  reportError(problem: TrackerEvents['error'], warning?: ErrorWarning): void {
    this.#ledger.error(problem, warning);
  }

  reportSkip(skip: TrackerEvents['skipped'], advice?: string): void {
    this.#ledger.skip(skip, advice);
  }

  meterNames(): string[] {
    return [...this.#options.meters.keys()];
  }
}

/** Creates a tracker. Meter names are inferred from `meters` so misspelt names fail to compile. */
export function createTracker<const M extends string = string>(options?: TrackerOptions<M>): Tracker<M> {
  return instrumentTracker(new CoreTracker<M>(options), options?.meterProvider);
}
