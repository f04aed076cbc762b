import type { AdapterTracker } from '../contracts/adapter-tracker.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type Signal = (typeof SIGNALS)[number];

/**
 * Delivers a tracker's events when the process is told to stop, without taking over the app's own
 * signal handling. On the first SIGTERM / SIGINT:
 * - if the app listens for that signal too, it flushes (the flush keeps the process alive until it
 *   settles) and removes its own listeners, so the app's handler decides what happens next, and a
 *   signal the app re-raises (as Nest's `enableShutdownHooks()` does) ends the process as it would
 *   without Fluxrate; requests whose `hold()` is still open are billed first, with what they added;
 * - if no one else listens, it shuts the tracker down (which bills open holds too) and re-raises the signal with its listeners
 *   removed, so the process ends the way Node ends it by default (killed by the signal: exit status
 *   128 + n). A second signal while it drains re-raises at once.
 * Never calls `process.exit`.
 */
export function shutdownOnSignals(tracker: AdapterTracker, timeoutMs: number): void {
  let stopping = false;
  const alone = (signal: Signal) => process.listenerCount(signal) <= 1;
  const remove = () => {
    for (const s of SIGNALS) process.removeListener(s, listener);
  };
  const reraise = (signal: Signal) => {
    remove();
    process.kill(process.pid, signal);
  };
  const listener = (signal: Signal) => {
    if (stopping) {
      if (alone(signal)) reraise(signal);
      return;
    }
    stopping = true;
    if (!alone(signal)) {
      remove();
      // The process is ending: requests still held are billed now, with what they added.
      tracker.billOpenHolds?.(signal);
      tracker.flush({ timeoutMs }).catch(() => undefined);
      return;
    }
    tracker
      .shutdown({ timeoutMs })
      .catch(() => undefined)
      .then(() => (alone(signal) ? reraise(signal) : remove()));
  };
  for (const signal of SIGNALS) process.on(signal, listener);
}
