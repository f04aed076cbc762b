import type { Logger } from '../contracts/types.js';
import type { WarningCode } from '../contracts/warning-codes.js';

const MAX_REMEMBERED = 1_000;
/**
 * Problems already said in this process, kept on `globalThis` so that an ESM and a CJS copy of core
 * (and every adapter) loaded side by side say each once, not once per copy.
 */
const kWarned = Symbol.for('fluxrate.warnedInProcess');
const slot = globalThis as { [kWarned]?: Set<string> };
slot[kWarned] ??= new Set<string>();
const warnedInProcess: Set<string> = slot[kWarned];

/** A problem for the one who can fix it. */
export interface Warning {
  /** Stable, listed in `WARNING_CODES` and documented in the core README's "Warnings" table. */
  code: WarningCode;
  message: string;
  /** What makes two occurrences the same problem: it is said once per key (see `warnOnce`). */
  key: string;
  /** Structured fields for the logger. */
  fields?: object;
  /** The logger level. Default: `warn`. */
  level?: 'warn' | 'error';
}

/**
 * The one way Fluxrate says a problem: to `logger` at the warning's level when the app gave one, else as
 * a process warning (`process.emitWarning` with its `FLUXRATE_…` code, as Node's own warnings), once per
 * key in `seen`: the process (default), or a narrower scope such as one tracker. Returns true when said.
 */
export function warnOnce(warning: Warning, logger?: Logger, seen: Set<string> = warnedInProcess): boolean {
  if (seen.has(warning.key)) return false;
  if (seen.size < MAX_REMEMBERED) seen.add(warning.key);
  const log = logger?.[warning.level ?? 'warn'];
  if (log) log.call(logger, warning.fields ?? {}, warning.message);
  else process.emitWarning(warning.message, { code: warning.code });
  return true;
}

/** A tracker's warnings: its logger, and what it has already said. */
export class TrackerWarnings {
  readonly #seen = new Set<string>();

  constructor(readonly logger: Logger) {}

  /** Once per tracker: to the logger when it has the level, else a process warning. */
  raise(warning: Warning): boolean {
    return warnOnce(warning, this.logger, this.#seen);
  }

  /**
   * Once per tracker at warn to the logger when the app gave one; else as `unheard` (a process warning
   * once per process, unless the app listens for the problem).
   */
  notice(warning: Warning, listened: boolean): void {
    if (this.logger.warn) this.raise(warning);
    else this.unheard(warning, listened);
  }

  /**
   * A process warning only when the app has neither a logger (which already logs each occurrence) nor a
   * listener for the problem; once per process however many trackers see it.
   */
  unheard(warning: Warning, listened: boolean): void {
    if (listened || this.logger.warn || this.logger.error) return;
    warnOnce(warning);
  }
}
