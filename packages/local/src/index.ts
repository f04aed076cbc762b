export { mulberry32 } from './faults.js';
export { startLocalServer } from './server.js';
export type {
  Aggregation,
  ApiKeySpec,
  Customer,
  EventFilter,
  FaultKind,
  FaultOptions,
  LocalEvent,
  LocalServer,
  LocalServerOptions,
  LocalStats,
  MeterInfo,
  MeterSpec,
  RejectedRequest,
  SlowFault,
  UsageRecord,
  UsageTotal,
} from './types.js';
