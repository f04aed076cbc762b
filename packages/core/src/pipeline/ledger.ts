import type { ResolvedOptions } from '../config/options.js';
import type { QueuedEvent } from '../contracts/event.js';
import type { DropReason, ErrorWarning, FailReason, TrackerEvents } from '../contracts/types.js';
import { toUsageEvent } from '../contracts/usage-event.js';
import { TypedEmitter } from '../support/emitter.js';
import { TrackerWarnings } from '../support/warn-once.js';
import { DeadLetterSink } from './dead-letter.js';
import { FlushGenerations } from './flush-generations.js';
import {
  authWarning,
  coalescingWarning,
  droppedWarning,
  failingWarning,
  tooOldWarning,
} from './ledger-warnings.js';
import { type LeftAtShutdown, reportLeftAtShutdown } from './shutdown-report.js';
import { skipNotice } from './skip-notice.js';

/**
 * The end of the data path: accounting (every accepted event ends delivered, failed or dropped, each
 * counted and emitted), the dead-letter file, flush generations, and the problems surfaced to the app
 * (logger, else a process warning once per problem).
 */
export class Ledger {
  readonly emitter: TypedEmitter;
  readonly generations = new FlushGenerations();
  readonly counts = {
    tracked: 0,
    delivered: 0,
    retried: 0,
    failed: 0,
    tooOld: 0,
    dropped: 0,
    skipped: 0,
    errors: 0,
    replayed: 0,
    handedOff: 0,
  };
  readonly #options: ResolvedOptions;
  readonly warnings: TrackerWarnings;
  readonly #deadLetter: DeadLetterSink | undefined;
  #lastOverflowLog = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(
    options: ResolvedOptions,
    readonly redact: (text: string) => string,
    readonly isIdle: () => boolean,
    readonly currentStats: () => TrackerEvents['drained'],
  ) {
    this.#options = options;
    this.emitter = new TypedEmitter(options.logger);
    this.warnings = new TrackerWarnings(options.logger);
    if (options.deadLetterFile) this.#deadLetter = new DeadLetterSink(options.deadLetterFile);
  }

  /** An input accepted by `track()` (it enters the outbox itself, or an aggregate does). */
  accept(_event: QueuedEvent): void {
    this.counts.tracked++;
  }

  /** An event entering the outbox: outstanding until it settles, so a flush waits for it. */
  enqueued(event: QueuedEvent): void {
    event.generation = this.generations.add();
  }

  /** An event an earlier process left in durable storage, now outstanding here. */
  adopt(event: QueuedEvent): void {
    this.counts.replayed++;
    event.generation = this.generations.add();
  }

  delivered(event: QueuedEvent, status: number): void {
    this.counts.delivered++;
    if (this.emitter.has('delivered')) {
      this.emitter.emit('delivered', {
        event: toUsageEvent(event),
        status,
        attempts: event.attempts,
        latencyMs: Date.now() - event.timestamp,
      });
    }
    this.#settled(event);
  }

  retried(event: QueuedEvent, delayMs: number, status: number | undefined, error: string | undefined): void {
    this.counts.retried++;
    if (!this.emitter.has('retry')) return;
    this.emitter.emit('retry', {
      event: toUsageEvent(event),
      attempt: event.attempts,
      delayMs,
      ...(status === undefined ? {} : { status }),
      ...(error === undefined ? {} : { error: this.redact(error) }),
    });
  }

  failed(event: QueuedEvent, reason: FailReason, status: number | undefined, rawDetail: string): void {
    this.counts.failed++;
    const detail = this.redact(rawDetail);
    const meter = event.meter.name;
    if (status === 401 || status === 403) this.warnings.raise(authWarning(status, detail));
    this.#options.logger.warn?.(
      { reason, status, detail, meter, idempotencyKey: event.idempotencyKey },
      'fluxrate: usage event failed',
    );
    // Usage lost to the age guard is revenue lost: said once per tracker, even to an app listening to `failed`.
    if (reason === 'too-old') {
      this.counts.tooOld++;
      this.warnings.raise(tooOldWarning(meter, detail));
    } else {
      const warning = failingWarning(meter, reason, status, detail);
      this.warnings.unheard(warning, this.emitter.heard('failed'));
    }
    const usage = toUsageEvent(event);
    const statusField = status === undefined ? {} : { status };
    this.emitter.emit('failed', { event: usage, reason, ...statusField, detail, attempts: event.attempts });
    this.#deadLetter?.write({ reason, ...statusField, detail, attempts: event.attempts, event: usage });
    this.#settled(event);
  }

  /** `counted`: the event was accepted and is outstanding (false for an overflow or after-shutdown refusal). */
  dropped(event: QueuedEvent, reason: DropReason, counted: boolean, log = true): void {
    this.counts.dropped++;
    const usage = toUsageEvent(event);
    // Overflow drops come in floods: logged at most once a second.
    const now = Date.now();
    if (log && (reason !== 'overflow' || now - this.#lastOverflowLog > 1000)) {
      if (reason === 'overflow') this.#lastOverflowLog = now;
      this.#options.logger.warn?.({ reason, meter: usage.meter }, 'fluxrate: usage event dropped');
    }
    this.warnings.unheard(droppedWarning(reason), this.emitter.heard('dropped'));
    this.emitter.emit('dropped', { event: usage, reason });
    this.#deadLetter?.write({ reason, attempts: event.attempts, event: usage });
    if (counted) this.#settled(event);
  }

  /** A coalescing window closed: said once (the backlog is past the high-water mark), emitted each time. */
  coalesced(events: number, into: number): void {
    this.warnings.raise(coalescingWarning(events, into));
    this.emitter.emit('coalesced', { events, into });
  }

  /** Events another process will deliver (storage confirmed them): settled for this process. */
  handedOff(events: QueuedEvent[]): void {
    for (const event of events) {
      this.counts.handedOff++;
      this.#settled(event);
    }
  }

  /** See `ErrorWarning` for how the problem is said when nobody listens. */
  error(problem: TrackerEvents['error'], warning: ErrorWarning = {}): void {
    const { topic = problem.reason, code = 'FLUXRATE_NOT_BILLED' } = warning;
    this.counts.errors++;
    const reason = this.redact(problem.reason);
    this.#options.logger.warn?.(
      { route: problem.route, meter: problem.meter, reason },
      'fluxrate: usage not billed',
    );
    this.warnings.unheard(
      {
        code,
        key: `error:${problem.route}:${problem.meter}:${topic.slice(0, 120)}`,
        message:
          warning.message ??
          `fluxrate: usage not billed${problem.route ? ` on ${problem.route}` : ''}${problem.meter ? ` (meter ${problem.meter})` : ''}: ${reason}`,
      },
      !warning.loud && this.emitter.heard('error'),
    );
    this.emitter.emit('error', { ...problem, reason });
  }

  /** A skip; one the app's configuration caused is also said once (see `skipNotice`). */
  skip(skip: TrackerEvents['skipped'], advice?: string): void {
    this.counts.skipped++;
    this.#options.logger.debug?.(skip, 'fluxrate: usage skipped');
    const notice = skipNotice(skip, advice);
    const listened = this.emitter.heard('skipped');
    if (notice) this.warnings.notice({ code: 'FLUXRATE_SKIPPED', ...notice, fields: skip }, listened);
    this.emitter.emit('skipped', skip);
  }

  /** A storage fault the tracker survives: said once per kind, counted, emitted. */
  fault(kind: string, error: unknown): void {
    this.counts.errors++;
    const reason = this.redact(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
    this.warnings.raise({
      code: 'FLUXRATE_STORAGE',
      key: `fault:${kind}`,
      message: `fluxrate: ${reason}; continuing in memory`,
      fields: { kind },
      level: 'error',
    });
    this.emitter.emit('error', { reason, error });
  }

  corrupt(raw: string, error: unknown): void {
    this.fault('corrupt stored event moved to the dead-letter file', error);
    this.#deadLetter?.writeRaw({ reason: 'corrupt', raw: this.redact(raw) });
  }

  /** Events left at the shutdown deadline: each emitted and dead-lettered, without a log line each. */
  leftAtDeadline(events: QueuedEvent[]): void {
    for (const event of events) this.dropped(event, 'shutdown-deadline', true, false);
  }

  /** One line for everything the deadline left (see `reportLeftAtShutdown`). */
  summarizeLeft(left: Omit<LeftAtShutdown, 'deadLetterFile'>): void {
    reportLeftAtShutdown(this.warnings, { ...left, deadLetterFile: this.#deadLetter?.file });
  }

  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Called whenever an attempt ends: wakes shutdown and emits `drained` once nothing is outstanding. */
  checkIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.#idleWaiters;
    if (waiters.length > 0) {
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.emitter.has('drained')) this.emitter.emit('drained', this.currentStats());
  }

  close(): Promise<void> {
    return this.#deadLetter?.close() ?? Promise.resolve();
  }

  #settled(event: QueuedEvent): void {
    this.generations.settle(event.generation);
  }
}
