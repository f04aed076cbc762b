import type { QueuedEvent } from './event.js';
import type { Outbox } from './outbox.js';
import { type Decision, decide, type RetryPolicy } from './retry-policy.js';
import type { AttemptOutcome, EventTransport } from './transport.js';

/** After this many consecutive retryable failures the dispatcher sends one request at a time (the probe). */
const PROBE_AFTER = 5;

export interface DispatcherOptions extends RetryPolicy {
  concurrency: number;
}

/** How an attempt ended for its event: the policy's decision, or `abandoned` (a retry due after `stop()`). */
export type AttemptEnd = Decision | { kind: 'abandoned' };

/** Where the dispatcher reports how each attempt ended (the ledger, through the tracker). */
export type DecisionSink = (event: QueuedEvent, end: AttemptEnd) => void;

/**
 * Leases due events from the outbox, keeps at most `concurrency` attempts in flight, applies the
 * retry decision and settles each event back into the outbox. It never knows which outbox it has.
 * One unref'd timer wakes it for the earliest retry; sending starts on a later turn, never on the
 * caller's stack. After a run of retryable failures it probes one request at a time, so an outage
 * does not become a storm.
 */
export class Dispatcher {
  readonly #outbox: Outbox;
  readonly #transport: EventTransport;
  readonly #options: DispatcherOptions;
  readonly #onDecision: DecisionSink;
  #inFlight = 0;
  #failStreak = 0;
  #scheduled = false;
  #wakeAt = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #stopped = false;
  /** Called after every settled attempt (idle checks). */
  afterSettle: () => void = () => undefined;
  /** Builds an event's body if it has none yet (once: the body is kept for every retry). */
  build: (event: QueuedEvent) => void = () => undefined;

  constructor(
    outbox: Outbox,
    transport: EventTransport,
    options: DispatcherOptions,
    onDecision: DecisionSink,
  ) {
    this.#outbox = outbox;
    this.#transport = transport;
    this.#options = options;
    this.#onDecision = onDecision;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Runs the dispatcher on a later turn of the event loop (at most once per turn). */
  schedule = (): void => {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(this.#scheduledPump);
  };

  /** Shutdown began: waiting retries are due within minTimeout, so the deadline is spent retrying, not sleeping. */
  closing(): void {
    this.#closing = true;
    this.#outbox.hasten(Date.now() + this.#options.minTimeout);
    this.pump();
  }

  /** The shutdown deadline passed: send nothing more, end the attempts in flight. */
  stop(): void {
    this.#stopped = true;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    this.#transport.abortAll('tracker shut down');
  }

  close(force: boolean): Promise<void> {
    return this.#transport.close(force);
  }

  readonly #scheduledPump = (): void => {
    this.#scheduled = false;
    this.pump();
  };

  pump(): void {
    if (this.#stopped) return;
    const probing = this.#failStreak >= PROBE_AFTER;
    const limit = probing ? 1 : this.#options.concurrency;
    const room = limit - this.#inFlight;
    if (room <= 0) return;
    const now = Date.now();
    const next = this.#outbox.nextDueAt();
    // While probing, a retry that is not yet due goes first: fresh events wait behind it.
    if (probing && next !== undefined && next > now) return this.#wake(next);
    const events = this.#outbox.lease(room, now);
    for (const event of events) this.#send(event, now);
    const later = this.#outbox.nextDueAt();
    if (later !== undefined && later > now) this.#wake(later);
  }

  #wake(at: number): void {
    if (this.#wakeTimer && this.#wakeAt <= at) return;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(this.#onWake, Math.max(0, at - Date.now()));
    this.#wakeTimer.unref();
  }

  readonly #onWake = (): void => {
    this.#wakeTimer = undefined;
    this.pump();
  };

  #send(event: QueuedEvent, now: number): void {
    this.#inFlight++;
    event.attempts++;
    if (event.firstAttemptAt === 0) event.firstAttemptAt = now;
    if (event.body === '') this.build(event);
    this.#transport.send(event.body, (outcome) => this.#settle(event, outcome));
  }

  #settle(event: QueuedEvent, outcome: AttemptOutcome): void {
    this.#inFlight--;
    try {
      const now = Date.now();
      const decision = decide(outcome, event, now, this.#options, this.#closing);
      if (decision.kind === 'retry') this.#failStreak++;
      else this.#failStreak = 0;
      if (decision.kind !== 'retry') {
        this.#outbox.settle(event, { kind: decision.kind });
        this.#onDecision(event, decision);
      } else if (this.#stopped) {
        this.#outbox.settle(event, { kind: 'dropped' });
        this.#onDecision(event, { kind: 'abandoned' });
      } else {
        this.#outbox.settle(event, { kind: 'retry', at: now + decision.delayMs });
        this.#onDecision(event, decision);
      }
    } finally {
      this.pump();
      this.afterSettle();
    }
  }
}
