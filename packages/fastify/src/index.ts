import { fluxrate } from './plugin.js';

export {
  FluxrateConfigError,
  FluxrateRouteError,
  type RequestBilling,
  type RequestOutcome,
  type Tracker,
} from '@fluxrate/core';
export { DEFAULT_SHUTDOWN_TIMEOUT_MS } from './options.js';
export type { FastifyArgs, FastifyBillable, FluxrateDecoration, FluxrateFastifyOptions } from './types.js';
export { fluxrate };
export default fluxrate;
