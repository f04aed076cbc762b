/**
 * `@fluxrate/core/adapter`: what framework adapters need and apps do not. An adapter creates one
 * `RequestLifecycle` from its options and translates its framework's hooks into calls on it:
 * `begin()` on a new request (raw request and response plus the framework's arguments), `routed()` /
 * `annotate()` when it learns the route, `fail()` on an error after headers, `close()` on shutdown.
 * Finish-vs-abort detection, the metered-once guard, spec resolution and billing live here, once.
 */

export { METERS_ENV, metersFromEnv } from './config/env-meters.js';
export type { AdapterTracker } from './contracts/adapter-tracker.js';
export type { AdapterHints } from './pipeline/skip-notice.js';
export { requestKey, scopedKey } from './request/idempotency-key.js';
export { MeteredRequest } from './request/metered-request.js';
export { EXACT_MATCHING, type PathMatching, routingPath } from './request/path-matching.js';
export { basePrototype, exposeBillingState } from './request/request-accessor.js';
export { type BillingHooks, RequestBillingState } from './request/request-billing.js';
export {
  type BeginInfo,
  DEFAULT_HOLD_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  RequestLifecycle,
} from './request/request-lifecycle.js';
export { onResponseEnd, type RawResponse } from './request/response-end.js';
export { createRouteMeter, RouteMeter } from './request/route-meter.js';
export { type CompiledSpec, compileBillable } from './request/route-spec.js';
export { normalizePattern, RoutesTable } from './request/routes-table.js';
export { shareShape } from './request/shared-shape.js';
export { defaultTracker, isZeroConfig } from './zero-config/default-tracker.js';
