import type { Logger } from '../contracts/types.js';

const MAX_REMEMBERED = 1_000;
/**
 * Problems already raised as process warnings by any tracker of this process (e.g. one per adapter),
 * kept on `globalThis` so that an ESM and a CJS copy of core loaded side by side warn once, not twice.
 */
const kWarned = Symbol.for('fluxrate.warnedInProcess');
const slot = globalThis as { [kWarned]?: Set<string> };
slot[kWarned] ??= new Set<string>();
const warnedInProcess: Set<string> = slot[kWarned];

/** A 401/403 from Fluxrate: every event will fail until the key is fixed. */
export function authProblem(status: number, detail: string): string {
  const what = status === 401 ? 'rejected the API key' : 'refused the API key (missing scope usage.write?)';
  return `fluxrate: Fluxrate ${what} (HTTP ${status}: ${detail}). Usage events are failing: check FLUXRATE_API_KEY.`;
}

/** Events older than `maxEventAgeMs` when due: never sent. */
export function tooOldProblem(meter: string, detail: string): string {
  return `fluxrate: usage events older than maxEventAgeMs fail unsent (meter '${meter}': ${detail}); they are in the dead-letter file if set`;
}

/** The shutdown deadline left events undelivered (kept in a durable outbox, or not). */
export function shutdownLeftProblem(
  count: number,
  kept: boolean,
  deadLetterFile: string | undefined,
): string {
  const where = kept ? 'kept in the outbox for the next start' : 'not delivered';
  const file = deadLetterFile ? `; each written to ${deadLetterFile}` : '';
  return `fluxrate: the shutdown deadline left ${count} usage events (${where}${file})`;
}

/**
 * Surfaces a problem to the one who can fix it: the logger at `level` when the app gave one, else a
 * process warning (`process.emitWarning` with a `FLUXRATE_…` code, as Node's own warnings), each distinct
 * problem once. The set of problems seen is bounded.
 */
export class WarnOnce {
  readonly #seen = new Set<string>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Returns true when this is the first time `key` was raised. */
  raise(
    key: string,
    code: string,
    message: string,
    fields: object = {},
    level: 'warn' | 'error' = 'warn',
  ): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size < MAX_REMEMBERED) this.#seen.add(key);
    const log = this.#logger[level];
    if (log) log.call(this.#logger, fields, message);
    else process.emitWarning(message, { code });
    return true;
  }

  /**
   * Once per tracker at the logger's warn level when the app gave a logger; else as `unheard` (a process
   * warning once per process, unless the app listens for the problem).
   */
  notice(key: string, code: string, message: string, fields: object, listened: boolean): void {
    if (!this.#logger.warn) return this.unheard(key, code, message, listened);
    if (this.#seen.has(key)) return;
    if (this.#seen.size < MAX_REMEMBERED) this.#seen.add(key);
    this.#logger.warn(fields, message);
  }

  /**
   * A process warning only when the app has neither a logger nor a listener for the problem; once per
   * distinct problem in the process, however many trackers see it.
   */
  unheard(key: string, code: string, message: string, listened: boolean, oncePerProcess = true): void {
    if (listened || this.#logger.warn || this.#logger.error) return;
    if (oncePerProcess) {
      if (warnedInProcess.has(key)) return;
      if (warnedInProcess.size < MAX_REMEMBERED) warnedInProcess.add(key);
    }
    process.emitWarning(message, { code });
  }
}
