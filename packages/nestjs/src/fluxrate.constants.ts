/** Provider token of the module options (as given to `forRoot` or returned by the `forRootAsync` factory). */
export const FLUXRATE_MODULE_OPTIONS = Symbol.for('@fluxrate/nestjs:options');

/** Reflect-metadata key holding a handler's or controller's billable spec (`false` from `@SkipBilling()`). */
export const BILLABLE_METADATA = 'fluxrate:billable';

// Nest's own metadata keys (`@nestjs/common/constants`), read to name routes at bootstrap.
export const NEST_PATH_METADATA = 'path';
export const NEST_METHOD_METADATA = 'method';
// Read, never written, to know which handlers can send before they fail (`@nestjs/common/constants`,
// `RouteParamtypes.RESPONSE` / `NEXT`).
export const NEST_SSE_METADATA = '__sse__';
export const NEST_ROUTE_ARGS_METADATA = '__routeArguments__';
export const NEST_RESPONSE_PARAM = 1;
export const NEST_NEXT_PARAM = 2;
