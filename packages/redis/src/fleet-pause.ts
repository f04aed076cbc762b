import type { Redis } from 'ioredis';
import { scriptRunner } from './script-runner.js';
import { PAUSE_SCRIPT } from './scripts.js';

const runPause = scriptRunner(PAUSE_SCRIPT);

/** How stale this process's view of the fleet's pause may get while it delivers, in ms. */
export const PAUSE_READ_MS = 200;

/**
 * One 429 budget for a fleet. A `Retry-After` pause is stored once in Redis, as a key whose time to live
 * is the pause; every process sharing the stream reads it before leasing, so all back off together
 * instead of each instance (and each event) discovering the rate limit on its own. `until()` is
 * synchronous: it answers from this process's own pauses and its last read, and starts a new read (one
 * PTTL) when that is older than PAUSE_READ_MS. Remaining time is read, never an epoch, so the fleet's
 * clocks need not agree.
 */
export class FleetPause {
  #until = 0;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading = false;

  constructor(
    readonly redis: () => Redis,
    readonly key: string,
    readonly fault: (kind: string, error: unknown) => void,
  ) {}

  /** Fluxrate answered 429 with Retry-After: pause here at once, and the fleet through Redis. */
  pause(untilMs: number): void {
    const ms = Math.ceil(untilMs - Date.now());
    if (ms <= 0) return;
    this.#until = Math.max(this.#until, untilMs);
    runPause(this.redis(), this.key, [String(ms)]).catch((error) => this.fault('redis-pause', error));
  }

  /** Epoch ms until which nothing should be sent (0 or past: not paused). */
  until(now: number): number {
    if (!this.#reading && now - this.#readAt >= PAUSE_READ_MS) this.#read(now);
    return this.#until;
  }

  #read(now: number): void {
    this.#reading = true;
    this.#readAt = now;
    this.redis()
      .pttl(this.key)
      .then(
        (left) => {
          if (left > 0) this.#until = Math.max(this.#until, Date.now() + left);
        },
        (error) => this.fault('redis-pause', error),
      )
      .finally(() => {
        this.#reading = false;
      });
  }
}
