/**
 * How hard the dispatcher may press Fluxrate: gRPC's retry throttling (gRFC A6, a token bucket) turned
 * into a concurrency limit, so "some requests fail" (degraded) is told apart from "Fluxrate is down".
 *
 * - The bucket holds `maxTokens`. A retryable failure (5xx, 408, 429, network error, timeout) takes 1;
 *   an answer (2xx, or a 4xx that rejects the event: Fluxrate is up) gives back `tokenRatio`.
 *   With the ratio at 2 the bucket stays full while fewer than 2/3 of the attempts fail.
 * - **open** (tokens above half): `concurrency` attempts in flight.
 * - **throttled** (half or less): the limit shrinks with the tokens, down to one attempt in flight;
 *   successes refill it, so a recovered Fluxrate ramps back to `concurrency` within a few dozen answers.
 * - **probing** (bucket empty, or failing without one answer for `outageAfterMs`: a true outage):
 *   one attempt at a time, at most one per `probeIntervalMs`. The first answer leaves probing.
 *
 * Pure logic on a clock the caller passes in; the dispatcher owns one per tracker.
 */
export interface ThrottlePolicy {
  maxTokens: number;
  /** Tokens an answer gives back; a retryable failure takes one. */
  tokenRatio: number;
  /** Smallest gap between two probes during an outage. */
  probeIntervalMs: number;
  /** Failing this long without a single answer is an outage, whatever the bucket says (timeouts are slow to count). */
  outageAfterMs: number;
}

export const THROTTLE_POLICY: ThrottlePolicy = {
  maxTokens: 100,
  tokenRatio: 2,
  probeIntervalMs: 1_000,
  outageAfterMs: 10_000,
};

export type ThrottleMode = 'open' | 'throttled' | 'probing';

export class DeliveryThrottle {
  readonly #policy: ThrottlePolicy;
  #tokens: number;
  /** Epoch ms of the first failure since the last answer; 0 while answers come. */
  #failingSince = 0;
  /** Epoch ms of the last answer (-Infinity before the first). */
  #lastAnswerAt = Number.NEGATIVE_INFINITY;
  #lastProbeAt = Number.NEGATIVE_INFINITY;

  constructor(policy: ThrottlePolicy = THROTTLE_POLICY) {
    this.#policy = policy;
    this.#tokens = policy.maxTokens;
  }

  get tokens(): number {
    return this.#tokens;
  }

  /** When Fluxrate last answered any attempt (see `backoffStep`). */
  get lastAnswerAt(): number {
    return this.#lastAnswerAt;
  }

  /** Fluxrate answered (delivered, or rejected the event). */
  answered(now: number): void {
    this.#tokens = Math.min(this.#policy.maxTokens, this.#tokens + this.#policy.tokenRatio);
    this.#failingSince = 0;
    this.#lastAnswerAt = now;
  }

  /** An attempt ended with a retryable failure. */
  failed(now: number): void {
    this.#tokens = Math.max(0, this.#tokens - 1);
    if (this.#failingSince === 0) this.#failingSince = now;
  }

  mode(now: number): ThrottleMode {
    if (this.#tokens <= 0) return 'probing';
    if (this.#failingSince > 0 && now - this.#failingSince >= this.#policy.outageAfterMs) return 'probing';
    return this.#tokens > this.#policy.maxTokens / 2 ? 'open' : 'throttled';
  }

  /** Attempts allowed in flight at `now` (while probing: 1, paced by `nextProbeAt`). */
  limit(concurrency: number, now: number): number {
    const mode = this.mode(now);
    if (mode === 'open') return concurrency;
    if (mode === 'probing') return 1;
    return Math.max(1, Math.ceil((concurrency * this.#tokens) / (this.#policy.maxTokens / 2)));
  }

  /** While probing: the earliest time the next probe may start. */
  get nextProbeAt(): number {
    return this.#lastProbeAt + this.#policy.probeIntervalMs;
  }

  /** A probe was sent at `now`. */
  probed(now: number): void {
    this.#lastProbeAt = now;
  }
}
