export {
  FluxrateConfigError,
  FluxrateRouteError,
  type MeterName,
  type RequestBilling,
  type RequestOutcome,
  type RouteSpec,
  type RoutesTable,
  type Tracker,
} from '@fluxrate/core';
export { billable } from './billable.js';
export { fluxrateMiddleware } from './fluxrate-middleware.js';
export type { BillableInput, ExpressArgs, FluxrateMiddleware, FluxrateMiddlewareOptions } from './types.js';
