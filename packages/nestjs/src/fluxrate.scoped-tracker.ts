import type { Tracker, TrackerEvents } from '@fluxrate/core';

/** Names the handler being billed; set only for the duration of a synchronous route-meter call. */
export interface HandlerScope {
  current: string | undefined;
}

const looksLikeTracker = (t: unknown): t is Tracker =>
  typeof t === 'object' &&
  t !== null &&
  typeof (t as Tracker).track === 'function' &&
  typeof (t as Tracker).reportError === 'function' &&
  typeof (t as Tracker).shutdown === 'function';

/**
 * The tracker as the route meter sees it: `error` reasons get `(in Controller.handler)` appended while
 * a request is billed. Route-meter calls never await, so a plain variable scopes the label correctly.
 * Anything that is not a tracker is returned as is, for core to reject with its own message.
 */
export function scopedTracker(tracker: unknown, scope: HandlerScope): unknown {
  if (!looksLikeTracker(tracker)) return tracker;
  const t = tracker;
  const scoped: Tracker = {
    track: (event) => t.track(event),
    flush: (options) => t.flush(options),
    shutdown: (options) => t.shutdown(options),
    stats: () => t.stats(),
    on(event, listener) {
      t.on(event, listener);
      return scoped;
    },
    off(event, listener) {
      t.off(event, listener);
      return scoped;
    },
    once(event, listener) {
      t.once(event, listener);
      return scoped;
    },
    hasMeter: (ref) => t.hasMeter(ref),
    reportError: (problem: TrackerEvents['error']) =>
      t.reportError(
        scope.current === undefined
          ? problem
          : { ...problem, reason: `${problem.reason} (in ${scope.current})` },
      ),
    reportSkip: (skip) => t.reportSkip(skip),
    get closed() {
      return t.closed;
    },
  };
  return scoped;
}
