import type { Tracker } from './types.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type Signal = (typeof SIGNALS)[number];

/**
 * Delivers a tracker's events when the process is told to stop, without taking over the app's own
 * signal handling: on SIGTERM / SIGINT it flushes (the flush keeps the process alive until it
 * settles). If the app listens for that signal too, the app decides what happens next (its
 * listener runs as usual and the process stays up until it exits). If no one else listens, it shuts
 * the tracker down and re-raises the signal with its listeners removed, so the process ends the
 * way Node ends it by default (killed by the signal: exit status 128 + n). Never calls `process.exit`.
 * A second signal while flushing re-raises at once when no one else listens.
 */
export function shutdownOnSignals(tracker: Tracker<string>, timeoutMs: number): void {
  let stopping = false;
  const alone = (signal: Signal) => process.listenerCount(signal) <= 1;
  const reraise = (signal: Signal) => {
    for (const s of SIGNALS) process.removeListener(s, listener);
    process.kill(process.pid, signal);
  };
  const listener = (signal: Signal) => {
    if (stopping) {
      if (alone(signal)) reraise(signal);
      return;
    }
    stopping = true;
    const settle = alone(signal) ? tracker.shutdown({ timeoutMs }) : tracker.flush({ timeoutMs });
    settle
      .catch(() => undefined)
      .then(() => {
        stopping = false;
        if (alone(signal)) reraise(signal);
      });
  };
  for (const signal of SIGNALS) process.on(signal, listener);
}
