/**
 * Marks a `track()` input whose idempotency key is unique by construction (the route meter's
 * `req_{uuid}_{meter}`), so pre-aggregation need not remember it to drop repeats. Module-private:
 * not exported from the package, so an app cannot use it to bypass deduplication.
 */
export const kUniqueKey = Symbol('fluxrate.uniqueKey');
