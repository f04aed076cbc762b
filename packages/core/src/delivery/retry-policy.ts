import type { FailReason } from '../contracts/types.js';
import type { AttemptOutcome } from './attempt-outcome.js';

/**
 * The delivery retry policy, written as data (after undici's retry handler): which outcomes are
 * retried, how long to wait, how `Retry-After` is read, and one pure decision per attempt.
 */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
/**
 * Statuses whose `Retry-After` is honoured. It sets the next attempt of the event that got it; other
 * events keep their own schedule (one 429 must not stall the whole queue).
 */
export const RETRY_AFTER_STATUS: ReadonlySet<number> = new Set([429, 503]);

export interface BackoffPolicy {
  minTimeout: number;
  maxTimeout: number;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Give up this many ms after the first attempt. */
  maxRetryTime: number;
  /** Largest `Retry-After` honoured, in ms. */
  maxRetryAfter: number;
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, so retries never synchronise. */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxTimeout, policy.minTimeout * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Parses `Retry-After` as delta-seconds or an HTTP date; returns ms from `now`, or undefined when absent or invalid. */
export function parseRetryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  // An HTTP date names its day and month (`Wed, 21 Oct 2015 07:28:00 GMT`); anything else ("-5", "1.5"),
  // which Date.parse would happily read as some year, is invalid.
  if (!/^[A-Za-z]{3}/.test(value.trim())) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** What happens to an event after one attempt. */
export type Decision =
  | { kind: 'delivered'; status: number }
  | { kind: 'failed'; reason: FailReason; status?: number; detail: string }
  | { kind: 'retry'; delayMs: number; status?: number; error?: string };

export interface AttemptState {
  /** Attempts made, including the one that just ended. */
  attempts: number;
  /** Epoch ms of the first attempt. */
  firstAttemptAt: number;
}

/** Quick retries an event gets while Fluxrate answers others (see `backoffStep`). */
export const QUICK_RETRIES = 16;
/** An answer to another event this recent also makes a failure the luck of the draw (the backlog's last, lone events). */
export const ANSWERED_RECENTLY_MS = 1_000;
/** Longest wait of a quick retry, in ms (Envoy's retry base interval); at most `minTimeout`. */
export const QUICK_RETRY_MS = 25;

/**
 * Which backoff step an event's next retry takes; 0 is a quick retry (a random 0..QUICK_RETRY_MS wait).
 * If Fluxrate answered other attempts since this event's previous failure or within ANSWERED_RECENTLY_MS
 * (`othersAnswered`), its failure
 * was the luck of the draw on a degraded server: it retries quickly instead of sliding into 30 s waits
 * (at 50% failures one event in 4 000 fails 12 times in a row). The throttle (delivery-throttle.ts), not
 * the per-event wait, is what protects Fluxrate then: attempts in flight stay bounded by `concurrency`.
 * A lone failing event, or every event failing (an outage), backs off exponentially with its attempts.
 * Past QUICK_RETRIES attempts the event's own count wins again, so one event failing while others
 * succeed (a body the server chokes on) is backed off like any other.
 */
export function backoffStep(attempts: number, othersAnswered: boolean): number {
  if (!othersAnswered) return attempts;
  return attempts <= QUICK_RETRIES ? 0 : attempts - QUICK_RETRIES;
}

function retryDelay(step: number, policy: BackoffPolicy, random: () => number): number {
  if (step === 0) return Math.round(random() * Math.min(QUICK_RETRY_MS, policy.minTimeout));
  return backoffDelay(step, policy, random);
}

/**
 * The retry decision table: 2xx delivered; other non-retryable statuses fail with Fluxrate's `detail`;
 * network errors, timeouts, 408/429/5xx retry after the backoff (or `Retry-After`, capped), until the
 * retry count or the total retry time runs out. While shutting down (`closing`) waits are capped at
 * `minTimeout`, so the deadline is spent retrying rather than sleeping. `othersAnswered`: Fluxrate answered
 * other attempts since this event's previous failure or just now (the dispatcher knows; see `backoffStep`).
 */
export function decide(
  outcome: AttemptOutcome,
  attempt: AttemptState,
  now: number,
  policy: RetryPolicy,
  closing = false,
  random: () => number = Math.random,
  othersAnswered = false,
): Decision {
  if (outcome.kind === 'delivered') return { kind: 'delivered', status: outcome.status };
  if (outcome.kind === 'failed') {
    return { kind: 'failed', reason: 'rejected', status: outcome.status, detail: outcome.detail };
  }
  let delayMs = retryDelay(backoffStep(attempt.attempts, othersAnswered), policy, random);
  if (closing) delayMs = Math.min(delayMs, policy.minTimeout);
  if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > 0) {
    delayMs = Math.min(outcome.retryAfterMs, policy.maxRetryAfter);
  }
  if (attempt.attempts > policy.retries || now + delayMs - attempt.firstAttemptAt > policy.maxRetryTime) {
    const detail = outcome.error ?? `HTTP ${outcome.status}`;
    return {
      kind: 'failed',
      reason: 'retries-exhausted',
      ...(outcome.status === undefined ? {} : { status: outcome.status }),
      detail,
    };
  }
  return {
    kind: 'retry',
    delayMs,
    ...(outcome.status === undefined ? {} : { status: outcome.status }),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
  };
}
