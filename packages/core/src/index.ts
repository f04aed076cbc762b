/**
 * `@fluxrate/core`: what apps use, as the READMEs document it. What only the workspace's adapters and
 * outboxes share (request lifecycle, spec compiler, outbox helpers) is in `@fluxrate/core/adapter`.
 */
export type { FluxrateErrorCode } from './contracts/errors.js';
export {
  FluxrateConfigError,
  FluxrateError,
  FluxrateRouteError,
  FluxrateValidationError,
} from './contracts/errors.js';
// The outbox contract (`outbox` option): an implementation receives and settles queued events.
export type { QueuedEvent } from './contracts/event.js';
export type { Aggregation } from './contracts/meter.js';
export type { NetworkOptions } from './contracts/network.js';
export type { MeterProviderLike, OtelMeter } from './contracts/otel.js';
export type { Outbox, OutboxHost, Settlement, StoredEvent } from './contracts/outbox.js';
export type * from './contracts/route-types.js';
export type * from './contracts/types.js';
export { type WithFlushOptions, withFlush } from './integrations/serverless.js';
export { VERSION } from './support/version.js';
export { createTracker } from './tracker.js';
