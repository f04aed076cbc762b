import type { Logger } from '../contracts/types.js';
import { warnOnce } from './warn-once.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Wraps the user's logger so no call into it can throw into billing (the overflow path of `track()`,
 * a settling delivery). Only the methods the logger has are present, so "has an `error` method" keeps
 * its meaning. The first throw is raised once as a process warning; later throws are swallowed.
 */
export function guardLogger(logger: Logger): Logger {
  const guarded: Logger = {};
  const warned = new Set<string>(); // once per guarded logger
  for (const level of LEVELS) {
    const method = (logger as Record<string, unknown>)[level];
    if (typeof method !== 'function') continue;
    guarded[level] = (obj: unknown, msg?: string) => {
      try {
        // Called on the logger itself: pino's methods read `this`.
        (method as (o: unknown, m?: string) => void).call(logger, obj, msg);
      } catch (error) {
        if (warned.size > 0) return;
        const why = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
        // Never to the logger that just threw: a process warning.
        warnOnce(
          {
            code: 'FLUXRATE_LOGGER_THREW',
            key: 'logger-threw',
            message: `fluxrate: the logger threw on ${level}() (${why}); billing continues, later logger errors are ignored`,
          },
          undefined,
          warned,
        );
      }
    };
  }
  return guarded;
}
