import type { CompiledSpec, RequestBillingState, RouteMeter } from '@fluxrate/core';
import type { ExpressArgs } from './types.js';

/** Per-request context shared by `fluxrateMiddleware()` and `billable()`, kept on `req` under a symbol. */
export interface RequestContext {
  meter: RouteMeter<ExpressArgs>;
  state: RequestBillingState;
  /** Set by `billable()`: specs that win over the `routes` table, or `false` to opt out. */
  annotation: CompiledSpec[] | false | undefined;
}

export const kContext: unique symbol = Symbol.for('fluxrate.express.context');

type WithContext = { [kContext]?: RequestContext };

export function getContext(req: object): RequestContext | undefined {
  return (req as WithContext)[kContext];
}

export function setContext(req: object, context: RequestContext): void {
  (req as WithContext)[kContext] = context;
}
