/**
 * `@fluxrate/core/adapter`: what the workspace's framework adapters and `@fluxrate/redis` import, and
 * nothing else. An adapter creates one `RequestLifecycle` from its options and translates its
 * framework's hooks into calls on it: `begin()` on a new request (raw request and response plus the
 * framework's arguments), `routed()` / `annotate()` when it learns the route, `fail()` on an error after
 * headers, `close()` on shutdown. Finish-vs-abort detection, the metered-once guard, spec resolution
 * and billing live there, once.
 */
export type { Observable } from './contracts/otel.js';
export { resolveMeterProvider } from './integrations/otel-metrics.js';
export { reviveEvent } from './outbox/outbox-host.js';
export { AggregationStage } from './pipeline/aggregation.js';
export { CUSTOMER_REQUIRED, type MeteredRequest } from './request/metered-request.js';
export type { PathMatching } from './request/path-matching.js';
export { RequestBillingState } from './request/request-billing.js';
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, RequestLifecycle } from './request/request-lifecycle.js';
export type { RawResponse } from './request/response-end.js';
export { type CompiledSpec, compileBillable } from './request/route-spec.js';
export { shareShape } from './request/shared-shape.js';
export { MinHeap } from './support/min-heap.js';
export { warnOnce } from './support/warn-once.js';
export { defaultTracker, isZeroConfig } from './zero-config/default-tracker.js';
