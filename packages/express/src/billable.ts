import { randomUUID } from 'node:crypto';
import type { MeterName } from '@fluxrate/core';
import {
  type CompiledSpec,
  CUSTOMER_REQUIRED,
  compileBillable,
  RequestBillingState,
  RequestLifecycle,
} from '@fluxrate/core/adapter';
import type { RequestHandler } from 'express';
import { callSite } from './call-site.js';
import { warnMissingMiddleware } from './missing-middleware.js';
import { routePattern } from './route-pattern.js';
import type { BillableInput, ExpressArgs } from './types.js';
import { isExpressCall, middlewareFailed, pathOnly, warnMisuse } from './zero-config.js';

/**
 * The annotation middleware behind `billable()`: hands the route's specs to the request lifecycle,
 * and (with `onMissingCustomer: 'reject'`) answers 403 before the handler. Never throws.
 * `site` is set for specs compiled without a tracker: their meters are checked on first use.
 */
export function annotate(specs: CompiledSpec[] | false, site?: string): RequestHandler {
  return function fluxrateBillable(req, res, next) {
    const metered = RequestLifecycle.current<ExpressArgs>(req);
    if (!metered) {
      if (!middlewareFailed(req)) warnMissingMiddleware(req.method, pathOnly(req));
      // Handlers may still call req.fluxrate.addUsage(): give them a detached state that bills nothing.
      if (req.fluxrate === undefined) req.fluxrate = new RequestBillingState(randomUUID(), Date.now());
      return next();
    }
    if (metered.route === undefined && req.route) metered.routed(routePattern(req.baseUrl, req.route));
    metered.annotate(specs, site);
    if (metered.annotation && !res.headersSent && metered.shouldReject()) {
      res.status(CUSTOMER_REQUIRED.status).json(CUSTOMER_REQUIRED.body);
      return;
    }
    next();
  };
}

/**
 * Marks a route (or a router, or an `app.use` prefix) billable: `billable({ meter: 'api_calls' })`,
 * `billable([{ meter: 'api_calls' }, { meter: 'tokens', quantity: (req, res) => res.locals.tokens }])`,
 * `billable('api_calls')`, or `billable(false)` to opt out. The spec is validated now and a bad one
 * throws a `FluxrateRouteError` naming the problem and where `billable()` was called. Meter names are
 * the ones registered on `Register` (see `@fluxrate/core`) and are checked against the tracker on the
 * first request (an unknown one is reported loudly, once); `middleware.billable` checks them at once.
 * Needs `fluxrateMiddleware()` earlier in the chain, else it warns once and bills nothing.
 */
export function billable<M extends string = MeterName>(spec: BillableInput<NoInfer<M>>): RequestHandler;
export function billable(spec: unknown, res?: unknown, next?: unknown): RequestHandler | undefined {
  // `app.get(path, billable, handler)`, uncalled: no spec to bill by. Say so once; pass the request on.
  const args = [spec, res, next];
  if (isExpressCall(args)) {
    const [req, , pass] = args;
    warnMisuse(
      'billable-uncalled',
      `billable was used without a spec on ${req.method} ${pathOnly(req)}, so nothing is billed: write billable({ meter: 'api_calls' })`,
    );
    pass();
    return undefined;
  }
  const site = callSite('billable()', billable);
  return annotate(spec === false ? false : compileBillable(spec, site), site);
}
