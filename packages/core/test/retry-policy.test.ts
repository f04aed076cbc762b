import { describe, expect, it } from 'vitest';
import type { AttemptOutcome } from '../src/delivery/attempt-outcome.js';
import { backoffDelay, decide, parseRetryAfter, type RetryPolicy } from '../src/delivery/retry-policy.js';

const policy: RetryPolicy = {
  minTimeout: 200,
  maxTimeout: 30_000,
  retries: Number.POSITIVE_INFINITY,
  maxRetryTime: 3_600_000,
  maxRetryAfter: 60_000,
};
const first = { attempts: 1, firstAttemptAt: 1_000 };
const half = () => 0.5;

describe('backoffDelay', () => {
  it('doubles per attempt with equal jitter, capped at maxTimeout', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(100);
    expect(backoffDelay(1, policy, () => 1)).toBe(200);
    expect(backoffDelay(3, policy, () => 0)).toBe(400);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
    expect(backoffDelay(30, policy, () => 1)).toBe(30_000);
    expect(backoffDelay(30, policy, () => 0)).toBe(15_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it.each([
    ['120', 120_000],
    [' 3 ', 3_000],
    ['Tue, 01 Dec 2026 12:00:05 GMT', 5_000],
    ['Tue, 01 Dec 2026 11:00:00 GMT', 0],
    [['7', '9'], 7_000],
  ])('reads %j as %d ms', (header, ms) => {
    expect(parseRetryAfter(header as string, now)).toBe(ms);
  });
  it.each([[undefined], [''], ['soon'], ['-5'], ['1.5']])('ignores %j', (header) => {
    expect(parseRetryAfter(header as string | undefined, now)).toBeUndefined();
  });
});

describe('decide: the retry decision table', () => {
  const retry = (extra: Partial<Extract<AttemptOutcome, { kind: 'retry' }>> = {}): AttemptOutcome => ({
    kind: 'retry',
    ...extra,
  });
  it.each<[string, AttemptOutcome, string]>([
    ['2xx', { kind: 'delivered', status: 201 }, 'delivered'],
    ['a rejected 4xx', { kind: 'failed', status: 422, detail: 'bad' }, 'failed'],
    ['a 503', retry({ status: 503 }), 'retry'],
    ['a network error', retry({ error: 'ECONNRESET' }), 'retry'],
  ])('%s -> %s', (_what, outcome, kind) => {
    expect(decide(outcome, first, 1_000, policy, false, half).kind).toBe(kind);
  });

  it('keeps the status and detail of a rejection', () => {
    expect(decide({ kind: 'failed', status: 404, detail: 'Meter not found' }, first, 0, policy)).toEqual({
      kind: 'failed',
      reason: 'rejected',
      status: 404,
      detail: 'Meter not found',
    });
  });

  it('waits the backoff, or Retry-After capped at maxRetryAfter', () => {
    expect(decide(retry({ status: 503 }), first, 1_000, policy, false, half)).toMatchObject({ delayMs: 150 });
    expect(decide(retry({ status: 429, retryAfterMs: 5_000 }), first, 1_000, policy)).toMatchObject({
      kind: 'retry',
      delayMs: 5_000,
      status: 429,
    });
    expect(decide(retry({ status: 429, retryAfterMs: 600_000 }), first, 1_000, policy)).toMatchObject({
      delayMs: 60_000,
    });
  });

  it('caps waits at minTimeout while shutting down', () => {
    const late = { attempts: 12, firstAttemptAt: 1_000 };
    expect(decide(retry(), late, 2_000, policy, true, half)).toMatchObject({ kind: 'retry', delayMs: 200 });
  });

  it('gives up with retries-exhausted after the retry count or the total retry time', () => {
    const counted = decide(retry({ status: 502 }), { attempts: 4, firstAttemptAt: 0 }, 10, {
      ...policy,
      retries: 3,
    });
    expect(counted).toEqual({ kind: 'failed', reason: 'retries-exhausted', status: 502, detail: 'HTTP 502' });
    const timed = decide(
      retry({ error: 'timeout after 10000 ms' }),
      first,
      1_000 + 3_600_000,
      policy,
      false,
      half,
    );
    expect(timed).toEqual({ kind: 'failed', reason: 'retries-exhausted', detail: 'timeout after 10000 ms' });
  });
});
