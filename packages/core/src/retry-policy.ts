/**
 * The delivery retry policy, written as data (after undici's retry handler): which outcomes are
 * retried, how long to wait, and how `Retry-After` is read.
 */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
/** Statuses whose `Retry-After` pauses all sending (rate limit or planned unavailability). */
export const RETRY_AFTER_STATUS: ReadonlySet<number> = new Set([429, 503]);

export interface BackoffPolicy {
  minTimeout: number;
  maxTimeout: number;
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
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
