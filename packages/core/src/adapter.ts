/**
 * `@fluxrate/core/adapter`: what framework adapters need and apps do not. An adapter creates one
 * `RequestLifecycle` from its options and translates its framework's hooks into calls on it:
 * `begin()` on a new request (raw request and response plus the framework's arguments), `routed()` /
 * `annotate()` when it learns the route, `fail()` on an error after headers, `close()` on shutdown.
 * Finish-vs-abort detection, the metered-once guard, spec resolution and billing live here, once.
 */
export type { AdapterTracker } from './adapter-tracker.js';
export { defaultTracker, isZeroConfig } from './default-tracker.js';
export { METERS_ENV, metersFromEnv } from './env-meters.js';
export { requestKey, scopedKey } from './idempotency-key.js';
export { CUSTOMER_REQUIRED, MeteredRequest } from './metered-request.js';
export { EXACT_MATCHING, type PathMatching, routingPath } from './path-matching.js';
export { type BillingHooks, RequestBillingState } from './request-billing.js';
export {
  type BeginInfo,
  DEFAULT_HOLD_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  RequestLifecycle,
} from './request-lifecycle.js';
export { onResponseEnd, type RawResponse } from './response-end.js';
export { createRouteMeter, RouteMeter } from './route-meter.js';
export { type CompiledSpec, compileBillable } from './route-spec.js';
export { normalizePattern, RoutesTable } from './routes-table.js';
export { shareShape } from './shared-shape.js';
export type { AdapterHints } from './skip-notice.js';
