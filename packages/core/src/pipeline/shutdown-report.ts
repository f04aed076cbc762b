import type { TrackerWarnings } from '../support/warn-once.js';

/** What a shutdown deadline left undelivered. */
export interface LeftAtShutdown {
  count: number;
  /** The deadline that ran out: `shutdown({ timeoutMs })`, an adapter's `shutdownTimeoutMs`, or a signal's. */
  timeoutMs: number;
  /** True when a durable outbox (spool, Redis) keeps them for the next start. */
  kept: boolean;
  deadLetterFile: string | undefined;
}

/**
 * The one report of what a shutdown left, however the tracker was shut down (the app's `shutdown()`, an
 * adapter's `close()` / `app.close()` / Nest's shutdown hook, zero configuration's signal handler): one
 * `FLUXRATE_SHUTDOWN_LEFT` line, to the logger, else a process warning; never one line per event (each
 * event is emitted as `dropped`, reason `shutdown-deadline`).
 */
export function reportLeftAtShutdown(warnings: TrackerWarnings, left: LeftAtShutdown): void {
  if (left.count === 0) return;
  const where = left.kept ? 'kept in the outbox for the next start' : 'not delivered';
  const file = left.deadLetterFile ? `; each written to ${left.deadLetterFile}` : '';
  warnings.raise({
    code: 'FLUXRATE_SHUTDOWN_LEFT',
    key: 'shutdown-left',
    message: `fluxrate: the ${left.timeoutMs} ms shutdown deadline left ${left.count} usage events (${where}${file})`,
    fields: { pending: left.count, timeoutMs: left.timeoutMs },
  });
}
