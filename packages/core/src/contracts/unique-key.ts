/**
 * Marks a `track()` input whose idempotency key is unique by construction (the route meter's
 * `req_{uuid}_{meter}`), so pre-aggregation need not remember it to drop repeats. Not exported.
 * Process-wide (`Symbol.for`): the route meter that marks an event and the tracker that reads the mark
 * may come from two copies of core (an ESM app's tracker, a CJS adapter's route meter). App code could
 * reach it too, and then only skip dedup memory for its own keys: a client never can.
 */
export const kUniqueKey = Symbol.for('fluxrate.uniqueKey');
