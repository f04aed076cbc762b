// For outbox implementers: `fluxrate-forwarder --aggregate` applies the same exact stage to a stream.
export { AggregationStage } from './aggregation.js';
export type { DeadLetterRecord } from './dead-letter.js';
export type { FluxrateErrorCode } from './errors.js';
export { FluxrateConfigError, FluxrateError, FluxrateRouteError, FluxrateValidationError } from './errors.js';
export type { QueuedEvent } from './event.js';
/** For outbox implementations: a min-heap by a numeric key (events waiting for their retry time). */
export { MinHeap } from './min-heap.js';
export type { NetworkOptions } from './network-options.js';
export {
  type MeterProviderLike,
  type Observable,
  type OtelMeter,
  resolveMeterProvider,
} from './otel-metrics.js';
export type { Outbox, OutboxHost, Settlement, StoredEvent } from './outbox.js';
export { toStored } from './outbox.js';
export { reviveEvent } from './outbox-host.js';
export { type ReplayOptions, type ReplayResult, readDeadLetters, replayDeadLetters } from './replay.js';
export { backoffDelay, parseRetryAfter, RETRYABLE_STATUS } from './retry-policy.js';
export type * from './route-types.js';
export { type WithFlushOptions, withFlush } from './serverless.js';
export { createTracker } from './tracker.js';
export type * from './types.js';
export { VERSION } from './version.js';
// Adapter internals (request lifecycle, route meter, keys, spec compiler) are in `@fluxrate/core/adapter`.
