export type { RequestBilling, RequestOutcome } from '@fluxrate/core';
export { FLUXRATE_MODULE_OPTIONS } from './fluxrate.constants.js';
export { Billable, type ClassOrMethodDecorator, InjectTracker, SkipBilling } from './fluxrate.decorators.js';
export { FluxrateInterceptor } from './fluxrate.interceptor.js';
export { FluxrateModule } from './fluxrate.module.js';
export { FluxrateTracker } from './fluxrate.tracker.js';
export type * from './fluxrate.types.js';
