// For outbox implementers: `fluxrate-forwarder --aggregate` applies the same exact stage to a stream.

export type { FluxrateErrorCode } from './contracts/errors.js';
export {
  FluxrateConfigError,
  FluxrateError,
  FluxrateRouteError,
  FluxrateValidationError,
} from './contracts/errors.js';
export type { QueuedEvent } from './contracts/event.js';
export type { Aggregation } from './contracts/meter.js';
export type { NetworkOptions } from './contracts/network.js';
export type { MeterProviderLike, OtelMeter } from './contracts/otel.js';
export type { Outbox, OutboxHost, Settlement, StoredEvent } from './contracts/outbox.js';
export { toStored } from './contracts/outbox.js';
export type * from './contracts/route-types.js';
export type * from './contracts/types.js';
export { backoffDelay, parseRetryAfter, RETRYABLE_STATUS } from './delivery/retry-policy.js';
export { type WithFlushOptions, withFlush } from './integrations/serverless.js';
export { reviveEvent } from './outbox/outbox-host.js';
export { AggregationStage } from './pipeline/aggregation.js';
export type { DeadLetterRecord } from './pipeline/dead-letter.js';
export {
  type ReplayOptions,
  type ReplayResult,
  readDeadLetters,
  replayDeadLetters,
} from './replay/replay.js';
/** For outbox implementations: a min-heap by a numeric key (events waiting for their retry time). */
export { MinHeap } from './support/min-heap.js';
export { VERSION } from './support/version.js';
export { createTracker } from './tracker.js';
// Adapter internals (request lifecycle, route meter, keys, spec compiler) are in `@fluxrate/core/adapter`.
