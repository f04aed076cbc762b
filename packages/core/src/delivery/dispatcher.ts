import type { QueuedEvent } from '../contracts/event.js';
import type { Outbox } from '../contracts/outbox.js';
import type { AttemptOutcome } from './attempt-outcome.js';
import { DeliveryThrottle, type ThrottlePolicy } from './delivery-throttle.js';
import { buildBody } from './event-body.js';
import { RateLimitShare } from './rate-limit-share.js';
import { ANSWERED_RECENTLY_MS, type Decision, decide, type RetryPolicy } from './retry-policy.js';
import type { EventTransport } from './transport.js';

export interface DispatcherOptions extends RetryPolicy {
  concurrency: number;
  /** Degraded vs down (delivery-throttle.ts); default THROTTLE_POLICY. */
  throttle?: ThrottlePolicy;
  /** Events older than this (by timestamp) when due are failed `too-old`, never sent. */
  maxEventAgeMs?: number | undefined;
  /** The body's shape (event-body.ts); default `sdk`. */
  transport?: 'sdk' | 'rest';
}

/** How an attempt ended for its event: the policy's decision, or `abandoned` (a retry due after `stop()`). */
export type AttemptEnd = Decision | { kind: 'abandoned' };

/** Where the dispatcher reports how each attempt ended (the ledger, through the tracker). */
export type DecisionSink = (event: QueuedEvent, end: AttemptEnd) => void;

/**
 * Leases due events from the outbox, keeps at most `concurrency` attempts in flight, applies the
 * retry decision and settles each event back into the outbox. It never knows which outbox it has.
 * One unref'd timer wakes it for the earliest retry; sending starts on a later turn, never on the
 * caller's stack. How many attempts may be in flight is the throttle's call (delivery-throttle.ts):
 * `concurrency` while most attempts get an answer, fewer as failures dominate, and one probe a second
 * in a true outage, so an outage does not become a storm and a degraded Fluxrate keeps its throughput.
 * An event waiting for its retry sits in the outbox: it holds no slot.
 */
export class Dispatcher {
  readonly #outbox: Outbox;
  readonly #transport: EventTransport;
  readonly #options: DispatcherOptions;
  readonly #onDecision: DecisionSink;
  #inFlight = 0;
  readonly #throttle: DeliveryThrottle;
  readonly #rateLimit = new RateLimitShare();
  #scheduled = false;
  #wakeAt = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #stopped = false;
  /** Called after every settled attempt (idle checks). */
  afterSettle: () => void = () => undefined;

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
    this.#throttle = new DeliveryThrottle(options.throttle);
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
    const now = Date.now();
    const throttle = this.#throttle;
    const probing = throttle.mode(now) === 'probing';
    const room = throttle.limit(this.#options.concurrency, now) - this.#inFlight;
    if (room <= 0) return;
    const pausedUntil = this.#outbox.pausedUntil?.(now) ?? 0;
    if (pausedUntil > now) return this.#wake(pausedUntil);
    if (probing && throttle.nextProbeAt > now) return this.#wake(throttle.nextProbeAt);
    const events = this.#outbox.lease(room, now);
    if (probing && events.length > 0) throttle.probed(now);
    let tooOld = 0;
    for (const event of events) {
      if (this.#isTooOld(event, now)) tooOld++;
      else this.#send(event, now);
    }
    if (tooOld > 0) {
      // They took no slot: lease again on a later turn, and let the tracker see they settled.
      this.schedule();
      this.afterSettle();
    }
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

  /** The age guard: checked at every send (a retry, a spooled or replayed event), never at `track()`. */
  #isTooOld(event: QueuedEvent, now: number): boolean {
    const maxAge = this.#options.maxEventAgeMs;
    if (maxAge === undefined || now - event.timestamp <= maxAge) return false;
    const days = ((now - event.timestamp) / 86_400_000).toFixed(1);
    const detail = `not sent: the event is ${days} days old, older than maxEventAgeMs (${maxAge} ms)`;
    this.#outbox.settle(event, { kind: 'failed' });
    this.#onDecision(event, { kind: 'failed', reason: 'too-old', detail });
    return true;
  }

  #send(event: QueuedEvent, now: number): void {
    this.#inFlight++;
    event.attempts++;
    if (event.firstAttemptAt === 0) event.firstAttemptAt = now;
    // Built once, on the first attempt, and kept for every retry.
    if (event.body === '') event.body = buildBody(event, this.#options.transport ?? 'sdk');
    this.#transport.send(event.body, (outcome) => this.#settle(event, outcome));
  }

  #settle(event: QueuedEvent, outcome: AttemptOutcome): void {
    this.#inFlight--;
    try {
      const now = Date.now();
      if (outcome.kind === 'retry') this.#throttle.failed(now);
      else this.#throttle.answered(now);
      // Fluxrate answered other events since this one last failed, or within the last second (see backoffStep).
      const since = Math.min(event.failedAt > 0 ? event.failedAt : now, now - ANSWERED_RECENTLY_MS);
      const othersAnswered = this.#throttle.lastAnswerAt >= since;
      if (outcome.kind === 'retry') event.failedAt = now;
      const is429 = outcome.kind === 'retry' && outcome.status === 429;
      if (this.#rateLimit.record(is429) && outcome.kind === 'retry' && outcome.retryAfterMs) {
        // Mostly 429s: a shared outbox pauses the whole fleet for the Retry-After (capped like the
        // event's). An isolated 429 delays only its own event (rate-limit-share.ts).
        this.#outbox.pause?.(now + Math.min(outcome.retryAfterMs, this.#options.maxRetryAfter));
      }
      const decision = decide(outcome, event, now, this.#options, this.#closing, Math.random, othersAnswered);
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
