/** Provider token of the module options (as given to `forRoot` or returned by the `forRootAsync` factory). */
export const FLUXRATE_MODULE_OPTIONS = Symbol.for('@fluxrate/nestjs:options');

/** Reflect-metadata key holding a handler's or controller's billable spec (`false` from `@SkipBilling()`). */
export const BILLABLE_METADATA = 'fluxrate:billable';

// Nest's own metadata keys (`@nestjs/common/constants`), read to name routes at bootstrap.
export const NEST_PATH_METADATA = 'path';
export const NEST_METHOD_METADATA = 'method';
