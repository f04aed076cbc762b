import { describe, expect, it } from 'vitest';
import { DeliveryThrottle, THROTTLE_POLICY } from '../src/delivery/delivery-throttle.js';
import { backoffStep, QUICK_RETRIES } from '../src/delivery/retry-policy.js';

describe('DeliveryThrottle: degraded is not down', () => {
  it('stays open, at full concurrency, while half of the attempts fail', () => {
    const throttle = new DeliveryThrottle();
    for (let i = 0; i < 10_000; i++) {
      // Runs of failures as long as random 50% failures give among 10 000 attempts.
      if (i % 24 < 12) throttle.failed(i);
      else throttle.answered(0);
      expect(throttle.limit(8, i)).toBe(8);
    }
    expect(throttle.mode(10_000)).toBe('open');
  });

  it('throttles as failures pass two thirds, shrinking the limit with the tokens', () => {
    const throttle = new DeliveryThrottle();
    // Three failures per answer: the bucket loses one token per four attempts.
    const limits: number[] = [];
    for (let i = 0; i < 400 && throttle.mode(0) !== 'probing'; i++) {
      if (i % 4 === 3) throttle.answered(0);
      else throttle.failed(0);
      limits.push(throttle.limit(8, 0));
    }
    expect(limits[0]).toBe(8);
    // Graded, not a cliff: every limit from 8 down to 1 on the way to probing.
    expect([...new Set(limits)].sort((a, b) => b - a)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(throttle.mode(0)).toBe('probing');
  });

  it('probes once the bucket is empty: one attempt, one per probe interval', () => {
    const throttle = new DeliveryThrottle();
    for (let i = 0; i < THROTTLE_POLICY.maxTokens / 2; i++) throttle.failed(0);
    expect(throttle.mode(0)).toBe('throttled');
    for (let i = 0; i < THROTTLE_POLICY.maxTokens / 2; i++) throttle.failed(0);
    expect(throttle.mode(0)).toBe('probing');
    expect(throttle.limit(8, 0)).toBe(1);
    throttle.probed(5_000);
    expect(throttle.nextProbeAt).toBe(5_000 + THROTTLE_POLICY.probeIntervalMs);
  });

  it('calls it an outage after failing for outageAfterMs without one answer, whatever the bucket holds', () => {
    const throttle = new DeliveryThrottle();
    throttle.failed(1_000); // a timeout: slow to count, each takes a whole attempt timeout
    expect(throttle.mode(1_000 + THROTTLE_POLICY.outageAfterMs - 1)).toBe('open');
    expect(throttle.mode(1_000 + THROTTLE_POLICY.outageAfterMs)).toBe('probing');
    throttle.answered(0);
    expect(throttle.mode(1_000 + THROTTLE_POLICY.outageAfterMs)).toBe('open');
  });

  it('leaves probing at the first answer and ramps back to full concurrency within a few dozen answers', () => {
    const throttle = new DeliveryThrottle();
    for (let i = 0; i < 500; i++) throttle.failed(i);
    expect(throttle.mode(500)).toBe('probing');
    throttle.answered(0);
    expect(throttle.mode(500)).toBe('throttled');
    const ramp = [throttle.limit(8, 500)];
    while (throttle.limit(8, 500) < 8) {
      throttle.answered(0);
      ramp.push(throttle.limit(8, 500));
    }
    expect(ramp[0]).toBe(1);
    expect(ramp.length).toBeLessThanOrEqual(30);
  });

  it('remembers when Fluxrate last answered any attempt', () => {
    const throttle = new DeliveryThrottle();
    expect(throttle.lastAnswerAt).toBe(Number.NEGATIVE_INFINITY);
    throttle.failed(5);
    throttle.answered(7);
    expect(throttle.lastAnswerAt).toBe(7);
  });
});

describe('backoffStep: a degraded server is retried quickly, a down one is backed off', () => {
  it.each([
    // [the event's attempts, did Fluxrate answer others since its previous failure, step]
    [1, false, 1],
    [1, true, 0],
    [5, true, 0], // others were answered: a quick retry
    [5, false, 5], // nobody answered (alone, or an outage): the event's own exponential backoff
    [QUICK_RETRIES + 3, true, 3], // one event failing while others succeed: backed off after QUICK_RETRIES
  ])('attempts %d, others answered %s: step %d', (attempts, othersAnswered, step) => {
    expect(backoffStep(attempts, othersAnswered)).toBe(step);
  });
});
