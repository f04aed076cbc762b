import type { HoldSource } from './open-holds.js';
import type { ErrorWarning, Tracker, TrackerEvents } from './types.js';

/**
 * The tracker as adapters use it: the public `Tracker` plus the reporting hooks the route meter
 * and request lifecycle call. Kept apart so the public type can drop them without touching adapters.
 */
export type AdapterTracker = Tracker<string> & {
  /** True when `ref` is a configured meter name or a raw token. */
  hasMeter(ref: string): boolean;
  /** The configured meter names (for errors that list them). */
  meterNames(): string[];
  /** Reports a problem through the `error` event (and once as a warning, see `ErrorWarning`). Never throws. */
  reportError(problem: TrackerEvents['error'], warning?: ErrorWarning): void;
  /** Reports a skipped billing through the `skipped` event; `advice` completes a missing-customer notice. */
  reportSkip(skip: TrackerEvents['skipped'], advice?: string): void;
  /**
   * Registers how to bill requests still held, so `shutdown()` bills them first; returns the removal.
   * Optional: a tracker from an older copy of core lacks it (its holds are then billed by `close()`).
   */
  watchHolds?(source: HoldSource): () => void;
  /** Bills every request still held now, naming `where` in each `error` event. */
  billOpenHolds?(where: string): number;
};
