type Fn = (...args: unknown[]) => unknown;

/** Result of a guarded user function: its value, or the reason it could not be used. */
export type Guarded = { ok: true; value: unknown } | { ok: false; reason: string; error?: unknown };

/** What `call` returns when the function could not be used; the reason is in `callFailure`. */
// Process-wide, so a user function guarded by one copy of core is recognised as failed by another.
export const FAILED: unique symbol = Symbol.for('fluxrate.failed');
export let callFailure: { reason: string; error?: unknown } = { reason: '' };

/**
 * Runs a user function guarded, without allocating on success (the hot path): its value, the value
 * itself when it is not a function, or FAILED with the reason in `callFailure`.
 */
export function call(fn: unknown, args: unknown[]): unknown {
  if (typeof fn !== 'function') return fn;
  try {
    const value = (fn as Fn)(...args);
    if (value instanceof Promise || (typeof value === 'object' && value !== null && 'then' in value)) {
      // A promise would need an await on the request path; refuse it loudly instead.
      Promise.resolve(value).catch(() => undefined);
      callFailure = { reason: 'returned a Promise (billing functions must be synchronous)' };
      return FAILED;
    }
    return value;
  } catch (error) {
    callFailure = { reason: `threw: ${error instanceof Error ? error.message : String(error)}`, error };
    return FAILED;
  }
}

export function guard(fn: unknown, args: unknown[]): Guarded {
  const value = call(fn, args);
  return value === FAILED ? { ok: false, ...callFailure } : { ok: true, value };
}
